import { Argument, type Command, type Option } from 'commander';
import { allCommands, commandPath } from './help';
import type { CliIO } from './output';

/** What completion knows of one command: its subcommands and options, as the help lists them. */
interface CompletionNode {
  /** The words that reach it (`graph start`); `''` for the root. */
  path: string;
  commands: string[];
  /** The values its first argument allows, when commander knows them (`completion bash|zsh`). */
  argumentChoices: string[];
  /** Its own options, the global ones and --help. */
  options: string[];
  /** Those that take a value (the next word is the value, not a command). */
  valued: string[];
  /** Those whose value is a file or directory: the shell completes file names there. */
  files: string[];
  /** The values an option allows, when commander knows them (`--sandbox`, `--state`). */
  choices: Record<string, string[]>;
}

/** An option's value names a path when its placeholder says so: `<path>`, `<file>`, `<dir>`, `<graph.json|graph.yaml>`. */
const takesPath = (option: Option) => /<[^>]*(path|file|dir|\.json|\.ya?ml)[^>]*>/.test(option.flags);

function completionNode(command: Command): CompletionNode {
  const help = command.createHelp();
  const options = [...help.visibleOptions(command), ...help.visibleGlobalOptions(command)];
  const names = (list: Option[]) => list.flatMap((option) => [option.long, option.short].filter((name): name is string => name !== undefined));
  const valued = options.filter((option) => option.required || option.optional);
  return {
    path: commandPath(command),
    commands: help.visibleCommands(command).map((sub) => sub.name()),
    argumentChoices: command.registeredArguments[0]?.argChoices ?? [],
    options: names(options),
    valued: names(valued),
    files: names(valued.filter(takesPath)),
    choices: Object.fromEntries(valued.filter((option) => option.argChoices).flatMap((option) => names([option]).map((name) => [name, option.argChoices!]))),
  };
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** A shell function that prints, for a command path given as `$1`, the words `wordsOf` gives that command. */
function caseFunction(name: string, nodes: CompletionNode[], wordsOf: (node: CompletionNode) => string[]): string {
  const arms = nodes.filter((node) => wordsOf(node).length > 0).map((node) => `    ${quote(node.path)}) echo ${quote(wordsOf(node).join(' '))} ;;`);
  return `${name}() {\n  case "$1" in\n${arms.join('\n')}\n  esac\n}`;
}

/**
 * The part both shells share: the command tree as shell functions, and
 * `_codex_runner_candidates`, which prints the words that complete the last of its arguments
 * (the words typed after `codex-runner`). It returns 2 when that word is a file name, 1 when
 * nothing completes it (an option's free value).
 */
function completionFunctions(root: Command): string {
  const nodes = allCommands(root).map(completionNode);
  const choiceArms = nodes.flatMap((node) =>
    Object.entries(node.choices).map(([option, values]) => `    ${quote(`${node.path}:${option}`)}) echo ${quote(values.join(' '))} ;;`),
  );
  return `${caseFunction('_codex_runner_commands', nodes, (node) => node.commands)}

${caseFunction('_codex_runner_arguments', nodes, (node) => node.argumentChoices)}

${caseFunction('_codex_runner_options', nodes, (node) => node.options)}

${caseFunction('_codex_runner_valued', nodes, (node) => node.valued)}

${caseFunction('_codex_runner_files', nodes, (node) => node.files)}

_codex_runner_choices() {
  case "$1" in
${choiceArms.join('\n')}
  esac
}

_codex_runner_candidates() {
  local cmdpath='' expecting='' word
  while [ $# -gt 1 ]; do
    word=$1
    shift
    if [ -n "$expecting" ]; then
      expecting=''
      continue
    fi
    case $word in
      --*=*) ;;
      -*) case " $(_codex_runner_valued "$cmdpath") " in *" $word "*) expecting=$word ;; esac ;;
      *) case " $(_codex_runner_commands "$cmdpath") " in *" $word "*) cmdpath=\${cmdpath:+$cmdpath }$word ;; esac ;;
    esac
  done
  if [ -n "$expecting" ]; then
    local choices
    choices=$(_codex_runner_choices "$cmdpath:$expecting")
    if [ -n "$choices" ]; then
      echo "$choices"
      return 0
    fi
    case " $(_codex_runner_files "$cmdpath") " in *" $expecting "*) return 2 ;; esac
    return 1
  fi
  case $1 in
    -*) _codex_runner_options "$cmdpath" ;;
    *) echo "$(_codex_runner_commands "$cmdpath") $(_codex_runner_arguments "$cmdpath")" ;;
  esac
}`;
}

const HEADER = '# codex-runner shell completion, generated from its commands by `codex-runner completion`.';

/** The bash completion script: `source <(codex-runner completion bash)`. */
export function bashCompletion(root: Command): string {
  return `${HEADER}
${completionFunctions(root)}

_codex_runner() {
  local cur=\${COMP_WORDS[COMP_CWORD]} candidates found
  candidates=$(_codex_runner_candidates "\${COMP_WORDS[@]:1:COMP_CWORD}")
  found=$?
  COMPREPLY=()
  if [ "$found" -eq 2 ]; then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  elif [ "$found" -eq 0 ]; then
    mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
  fi
}
complete -F _codex_runner codex-runner
`;
}

/** The zsh completion script: `source <(codex-runner completion zsh)` after compinit, or saved as `_codex-runner` on `$fpath`. */
export function zshCompletion(root: Command): string {
  return `#compdef codex-runner
${HEADER}
${completionFunctions(root)}

_codex_runner() {
  local candidates found
  candidates=$(_codex_runner_candidates "\${(@)words[2,CURRENT]}")
  found=$?
  if (( found == 2 )); then
    _files
  elif (( found == 0 )); then
    compadd -- \${=candidates}
  fi
}

if [ "$funcstack[1]" = "_codex_runner" ]; then
  _codex_runner "$@"
else
  compdef _codex_runner codex-runner
fi
`;
}

const SHELLS = { bash: bashCompletion, zsh: zshCompletion } as const;

/** `codex-runner completion bash|zsh`: prints the script for the shell, made from the command tree as it is now. */
export function registerCompletionCommand(program: Command, io: CliIO): void {
  program
    .command('completion')
    .description('Print a shell completion script for bash or zsh, made from the commands of this codex-runner')
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SHELLS)))
    .action((shell: keyof typeof SHELLS) => io.stdout(SHELLS[shell](program)));
}
