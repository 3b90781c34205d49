#!/usr/bin/env node
// The vdmzip command. tsx compiles the TypeScript sources as they load, so the package
// runs straight from a checkout or an npm install, without a build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
process.exitCode = await runCli(process.argv);
