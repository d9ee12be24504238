import { Help, type Command, type Option } from 'commander';
import { ValidationError } from '../client/errors';
import { DEFAULT_TEMPORAL_ADDRESS } from '../contracts/ids';
import type { CliIO } from './output';

/**
 * Examples for every command's `--help`, by the command's path (`graph start`); the root's under
 * `''`. A command without examples is a test failure (test/unit/cli-help.test.ts).
 */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  '': ['doctor', 'worker', 'start --prompt "Add a health check endpoint" --wait', 'list --state running', 'help environment'],
  worker: [
    'worker',
    'worker --max-concurrent-tasks 2 --task-queue gpu',
    'worker --host-name build-2   # one of a pool of hosts on the same cluster',
    'worker --scripted-model   # offline: no OpenAI credential needed',
  ],
  start: [
    'start --prompt "Add a health check endpoint"',
    'start --repo-path ~/src/app --prompt-file task.md --wait',
    'start --repo-url git@github.com:acme/app.git --prompt "Fix the flaky test"',
    'git log -1 --format=%B | codex-runner start --prompt-file - --require-approval',
    'start --task-id fix-login --prompt "Fix the login redirect" --verify "npm test" --json',
  ],
  retry: ['retry fix-login', 'retry fix-login --message "The tests still fail: fix them" --wait'],
  status: ['status fix-login', 'status fix-login --json | jq .task.state'],
  events: ['events fix-login', 'events fix-login --follow', 'events fix-login --after 20 --json'],
  list: ['list', 'list --state awaiting_approval', 'list --host build-2', 'list --parent release-graph --json | jq -r ".tasks[].taskId"'],
  doctor: ['doctor', 'doctor --repo ~/src/app', 'doctor --json | jq ".checks[] | select(.ok | not)"'],
  graph: ['graph start --prompt "Ship v2" --child api:"Add the API" --child ui:"Build the UI"', 'graph status release', 'graph watch release'],
  'graph start': [
    'graph start --prompt "Ship v2" --child api:"Add the API" --child \'{"taskId":"ui","prompt":"Build the UI","dependencyTaskIds":["api"]}\'',
    'graph start --file graph.yaml --max-concurrent-tasks 2 --wait',
    'graph start --task-id release --prompt-file goal.md --open --child api:"Add the API"',
    'graph start --repo-url https://git.example.com/acme/app.git --file graph.yaml',
  ],
  'graph retry': ['graph retry release', 'graph retry release --wait --json'],
  'graph add': [
    'graph add release --child docs:"Document the API"',
    'graph add release --child \'{"taskId":"e2e","prompt":"Add e2e tests","dependencyTaskIds":["api","ui"]}\'',
  ],
  'graph close': ['graph close release'],
  'graph watch': ['graph watch release', 'graph watch api   # by any child id'],
  'graph status': ['graph status release', 'graph status release --json | jq .graph.state'],
  'graph results': ['graph results release', 'graph results release --json | jq .synthesis'],
  'graph synthesis': ['graph synthesis release', 'graph synthesis release --json | jq -r .synthesis.summary'],
  interrupt: ['interrupt fix-login', 'interrupt release --reason "wrong base branch"   # every child of the graph'],
  resume: ['resume fix-login', 'resume fix-login --message "Use the new session API instead"'],
  cancel: ['cancel fix-login', 'cancel release   # the whole graph'],
  approve: ['approve fix-login', 'approve fix-login --by alice --comment "LGTM"'],
  reject: ['reject fix-login --reason "It changes the public API"'],
  'request-changes': ['request-changes fix-login --message "Add a test for the redirect"'],
  diff: ['diff fix-login', 'diff fix-login --stat', 'diff release --json | jq ".diff.files[].path"'],
  land: ['land fix-login', 'land release --into main --by alice'],
  push: ['push fix-login', 'push fix-login --remote upstream --branch fix/login --pr'],
  clean: ['clean fix-login', 'clean fix-login --force'],
  gc: ['gc --dry-run', 'gc --older-than 7d --merged-into main --branches'],
  config: ['config status', 'config set-openai-key --api-key-env OPENAI_API_KEY', 'config auth-chatgpt --device-code'],
  'config status': ['config status', 'config status --json'],
  'config set-openai-key': [
    'printf %s "$OPENAI_API_KEY" | codex-runner config set-openai-key --api-key-stdin',
    'config set-openai-key --api-key-env OPENAI_API_KEY',
  ],
  'config clear-openai-key': ['config clear-openai-key'],
  'config auth-chatgpt': ['config auth-chatgpt', 'config auth-chatgpt --device-code   # on a host without a browser'],
  runtime: ['runtime install'],
  'runtime install': ['runtime install', 'runtime install --force --json'],
  mcp: ['mcp', 'mcp --task-queue gpu --runtime-id codex-gpu'],
  completion: [
    'completion bash > ~/.local/share/bash-completion/completions/codex-runner',
    'source <(codex-runner completion zsh)   # in ~/.zshrc, after compinit',
  ],
  help: ['help start', 'help graph start', 'help environment'],
};

/** The words a user types to reach `command` (`graph start`); `''` for the root. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Every command under `root`, the root first, parents before their subcommands. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap(allCommands)];
}

/** Appends its examples to every command's help. */
export function addExamples(root: Command): void {
  for (const command of allCommands(root)) {
    const examples = EXAMPLES[commandPath(command)];
    if (examples === undefined) continue;
    const lines = examples.map((example) => (example.startsWith('codex-runner ') || example.includes('| codex-runner') ? example : `codex-runner ${example}`));
    command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`);
  }
}

/** What the root's help says after its command list: exit codes, errors, help topics and completion. */
export const ROOT_HELP_FOOTER = `
Global options go before or after the command, and win over the environment (codex-runner help
environment lists what is read).

Exit codes:
  0  success
  1  a runner error, printed on stderr as CODE: message (e.g. TEMPORAL_UNAVAILABLE, TASK_NOT_FOUND,
     TASK_WRONG_STATE); or, under --wait (and graph watch), a task or graph that ended failed or
     cancelled, with the code it ended with
  2  a usage error: an unknown command or option, a bad or missing value, or input refused before
     anything was done (VALIDATION_FAILED)
With --json anywhere on the command line an error is one JSON document on stderr:
{"error":{"code":"...","message":"..."}}.

Help topics:
  codex-runner help environment   the environment variables codex-runner reads
Shell completion:
  codex-runner completion bash|zsh`;

/** `codex-runner help environment`. */
export const ENVIRONMENT_TOPIC = `Environment variables codex-runner reads

Where Temporal is (Temporal's environment configuration; --address, --namespace and --profile win
over these):
  TEMPORAL_ADDRESS        the frontend, host:port (default: the profile's, else ${DEFAULT_TEMPORAL_ADDRESS})
  TEMPORAL_NAMESPACE      the namespace (default: the profile's, else default)
  TEMPORAL_API_KEY        an API key (Temporal Cloud); it turns TLS on
  TEMPORAL_PROFILE        the profile of the configuration file to read (default: default)
  TEMPORAL_CONFIG_FILE    the configuration file (default: ~/.config/temporalio/temporal.toml)
  TEMPORAL_TLS            true or false: TLS on or off
  TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH
                          mTLS files (or the _DATA variants with the PEM itself)
  TEMPORAL_TLS_SERVER_NAME
                          the server name TLS checks the certificate against
  TEMPORAL_GRPC_META_<NAME>
                          a gRPC header sent with every call

This host's files and Codex:
  PLATO_HOME              where config.json, secrets.json and the codex runtime live (default: ~/.plato)
  CODEX_HOME              Codex's own home: its sessions and its ChatGPT login (default: ~/.codex);
                          the worker and codex must share it
  CODEX_API_KEY           an OpenAI API key codex takes from the worker's environment, when no
                          credential is configured (codex-runner config)
  <env_key>               the key variable a custom model provider in the config file names

Links:
  CODEX_RUNNER_UI_URL     the Temporal Web UI that printed links point at (default: http://localhost:8233
                          for a dev server on localhost:7233, else none)
`;

/** Topics `codex-runner help <topic>` prints. */
const TOPICS: Readonly<Record<string, string>> = { environment: ENVIRONMENT_TOPIC };

/**
 * `codex-runner help [command...]`: a command's help (`help graph start`), or a topic
 * (`help environment`). It replaces commander's help command, which knows only commands.
 */
export function registerHelpCommand(program: Command, io: CliIO): void {
  program
    .helpCommand(false)
    .command('help')
    .description('Show help for a command, or a topic: environment')
    .argument('[command...]', 'a command (graph start), or a topic')
    .action((words: string[]) => {
      const topic = words.length === 1 ? TOPICS[words[0]!] : undefined;
      if (topic !== undefined) return io.stdout(topic);
      let command = program;
      for (const word of words) {
        const found = command.commands.find((sub) => sub.name() === word);
        if (found === undefined) {
          throw new ValidationError(
            `no command or help topic ${words.join(' ')}: run codex-runner --help for the commands; the topics are ${Object.keys(TOPICS).join(', ')}`,
          );
        }
        command = found;
      }
      command.outputHelp();
    });
}

/**
 * Help that marks an option the command cannot do without: commander checks a mandatory option
 * but does not say so in the help. Set on the root before any subcommand is added, so that each
 * inherits it.
 */
export function markRequiredOptions(program: Command): void {
  program.configureHelp({
    showGlobalOptions: true,
    optionDescription(option: Option): string {
      const description = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${description} (required)` : description;
    },
  });
}
