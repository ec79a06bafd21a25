/** Whether a scenario argument is a path to a file (a separator or an extension), not a built-in name. Pure: workers ask it too. */
import { extname } from 'node:path';

export function isScenarioPath(nameOrPath: string): boolean {
  return /[\\/]/.test(nameOrPath) || extname(nameOrPath) !== '';
}
