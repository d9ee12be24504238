import { ValidationError } from '../client/errors';
import { readRegularFile } from '../host/files';

/** All of stdin as text (`--prompt-file -`, `config set-openai-key --api-key-stdin`). */
export function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (text += chunk));
    process.stdin.once('end', () => resolve(text));
    process.stdin.once('error', reject);
  });
}

/**
 * The text of the file an option names (`--file`, `--prompt-file`).
 * @throws ValidationError naming the option when the file cannot be read: missing, a directory, a FIFO.
 */
export function readOptionFile(option: string, file: string): Promise<string> {
  return readRegularFile(file).catch((error: Error) => {
    throw new ValidationError(`${option}: ${error.message.startsWith(file) ? error.message : `cannot read ${file}: ${error.message}`}`);
  });
}
