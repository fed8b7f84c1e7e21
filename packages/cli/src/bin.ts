#!/usr/bin/env node
/** The `roster` command line. One file per command under commands/. */
import { Command } from 'commander';
import { VERSION } from '@roster/server';
import { serveCommand } from './commands/serve.js';

const program = new Command('roster').description('service registration and discovery').version(VERSION);
program.addCommand(serveCommand());
await program.parseAsync(process.argv);
