#!/usr/bin/env node
// The `medchain` command after install: runs src/cli/main.ts through tsx's ESM loader API, so the
// TypeScript sources run as they are (no separate build step for the CLI).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
