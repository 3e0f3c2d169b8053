// Plain JavaScript on purpose: this file must parse on any Node, so that an old runtime gets a
// clear message instead of a syntax error from the TypeScript sources it cannot strip.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `sluice: Node.js >= 22.18 is required (this is ${process.version}).\n` +
      `Run 'npm ci' to install the pinned Node, then use ./bin/sluice or npm start.\n`,
  );
  process.exit(1);
}
const { main } = await import('./main.ts');
await main(process.argv.slice(2));
