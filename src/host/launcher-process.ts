/**
 * The launcher's helper process (see ForkedLauncher in launcher.ts): runs each requested command
 * with execFile and sends back how it ended. It exits when its parent goes.
 */
import { runHere, type CommandRun, type LaunchRequest } from './launcher';

process.on('message', (request: LaunchRequest) => {
  void runHere(request.file, request.args, request.options).then((run: CommandRun) => {
    if (process.connected) process.send!({ id: request.id, ...run });
  });
});
process.on('disconnect', () => process.exit(0));
