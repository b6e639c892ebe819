/**
 * `medchain keys new|import|export|rotate`: the acting identity's key file — an account key and an
 * X25519 encryption key, each a passphrase-encrypted Web3 v3 keystore, in the format the web UI
 * backs up and imports (see ../keyFile.ts). The passphrase comes from --passphrase-file,
 * MEDCHAIN_PASSPHRASE or a prompt, and is never printed.
 */
import { readFileSync } from 'node:fs';
import { getAddress, toHex } from 'viem';
import { encryptKeystore, generateEncryptionKeyPair } from '../../crypto/index.ts';
import { randomKey } from '../../keys/keyRing.ts';
import { IdentityAbi } from '../../sdk/contracts.ts';
import { str, type Command } from '../command.ts';
import { CliError, writeFileAtomic } from '../dataDir.ts';
import { EXIT } from '../errors.ts';
import { keyFileFor, newBundle, readKeyBundle, resolveKeyFile, unlockBundle, writeKeyBundle, type KeyBundleFile } from '../keyFile.ts';
import { emit, note } from '../output.ts';
import { readPassphrase } from '../passphrase.ts';
import { openSession } from '../session.ts';

const fromHexKey = (text: string, what: string) => {
  const hex = text.trim().replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new CliError(`${what} must hold a 32-byte private key as hex`, EXIT.usage);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
};

export const keysCommands: Command[] = [
  {
    name: 'keys new', synopsis: '<name|file>', arity: 1,
    summary: 'create a key file (account + encryption key, encrypted with your passphrase)',
    help: '  <name|file>               a name (saved as <data-dir>/keys/<name>.json) or a path ending in .json\n',
    async run({ args, global }) {
      const file = keyFileFor(args[0]!, global.dataDir);
      const passphrase = await readPassphrase({ file: global.passphraseFile, confirm: true, purpose: `the new key ${file}` });
      const bundle = await newBundle(randomKey(), passphrase, global.scryptN);
      writeKeyBundle(file, bundle);
      emit(global.json, { file, address: getAddress(bundle.address) }, `created ${file}\naddress ${getAddress(bundle.address)}`);
    },
  },
  {
    name: 'keys import', synopsis: '<name|file>', arity: 1,
    summary: 'import an existing key: a raw private key (hex in a file), a v3 keystore, or a web UI key backup',
    options: { from: { type: 'string' }, 'from-passphrase-file': { type: 'string' } },
    help: `  --from <file>                  the key to import: a file holding a 0x-hex private key, a Web3 v3
                                 keystore (geth, MetaMask…) or a MedChain key backup from the web UI
  --from-passphrase-file <file>  the passphrase of the imported keystore, if not the same as yours
`,
    async run({ args, values, global }) {
      const from = str(values, 'from');
      if (!from) throw new CliError('keys import needs --from <file> (the key is never read from the command line, where other users could see it)', EXIT.usage);
      const file = keyFileFor(args[0]!, global.dataDir);
      const text = readFileSync(from, 'utf8');
      const passphrase = await readPassphrase({ file: global.passphraseFile, confirm: true, purpose: `the imported key ${file}` });
      let bundle: KeyBundleFile;
      if (/^\s*(0x)?[0-9a-fA-F]{64}\s*$/.test(text)) {
        bundle = await newBundle(fromHexKey(text, from), passphrase, global.scryptN);
        note('a new encryption key was made for this account: if it is already registered on chain, run `medchain keys rotate` to publish it');
      } else {
        const sourcePassphrase = str(values, 'from-passphrase-file') ? readFileSync(str(values, 'from-passphrase-file')!, 'utf8').replace(/\r?\n$/, '') : passphrase;
        const source = readKeyBundle(from);
        const opened = await unlockBundle(from, source, sourcePassphrase);
        const accountKey = Uint8Array.from(Buffer.from(opened.privateKey.slice(2), 'hex'));
        bundle = await newBundle(accountKey, passphrase, global.scryptN, opened.encryption[0]?.privateKey);
        if (opened.encryption.length > 1) {
          bundle.previousEncryption = await Promise.all(opened.encryption.slice(1).map((k) => encryptKeystore(k.privateKey, passphrase, { kind: 'encryption', scryptN: global.scryptN })));
        }
        if (!opened.encryption[0]) note('the imported keystore had no encryption key: a new one was made (register it on chain with `patient register` / `provider apply`, or `keys rotate` if registered)');
      }
      writeKeyBundle(file, bundle);
      emit(global.json, { file, address: getAddress(bundle.address) }, `imported ${getAddress(bundle.address)} into ${file}`);
    },
  },
  {
    name: 'keys export', arity: 0,
    summary: 'export the --key as a web UI key backup (still encrypted), or its raw account key with --private-key',
    options: { out: { type: 'string' }, 'private-key': { type: 'boolean' } },
    help: `  --out <file>              write there instead of stdout
  --private-key             the account's raw private key as hex (for another wallet; handle with care)
`,
    async run({ values, global }) {
      if (!global.key) throw new CliError('keys export needs --key <key file or name>', EXIT.usage);
      const file = resolveKeyFile(global.key, global.dataDir);
      const bundle = readKeyBundle(file);
      const passphrase = await readPassphrase({ file: global.passphraseFile, purpose: file });
      const opened = await unlockBundle(file, bundle, passphrase); // proves the passphrase before anything leaves
      const text = values['private-key'] ? `${opened.privateKey}\n` : `${JSON.stringify({ ...bundle, address: getAddress(bundle.address) }, null, 2)}\n`;
      const out = str(values, 'out');
      if (out) {
        writeFileAtomic(out, text);
        emit(global.json, { file: out, address: opened.address }, `exported ${opened.address} to ${out}`);
      } else {
        if (values['private-key']) note('warning: this is the unencrypted private key of the account; anyone holding it acts as you');
        process.stdout.write(text);
      }
    },
  },
  {
    name: 'keys rotate', arity: 0,
    summary: 'replace the --key\'s encryption key: registers the new public key on chain, keeps the old one to open older records',
    async run({ global }) {
      if (!global.key) throw new CliError('keys rotate needs --key <key file or name>', EXIT.usage);
      const file = resolveKeyFile(global.key, global.dataDir);
      const bundle = readKeyBundle(file);
      const passphrase = await readPassphrase({ file: global.passphraseFile, purpose: file });
      const session = await openSession(global, { key: await unlockBundle(file, bundle, passphrase) });
      const next = generateEncryptionKeyPair();
      const encryption = await encryptKeystore(next.privateKey, passphrase, { kind: 'encryption', scryptN: global.scryptN });
      // The new key file is written before the chain switches over, so no envelope is ever wrapped to
      // a key that is not saved; the old key stays in previousEncryption.
      const rotated: KeyBundleFile = { ...bundle, encryption, previousEncryption: [...(bundle.encryption ? [bundle.encryption] : []), ...(bundle.previousEncryption ?? [])] };
      writeKeyBundle(file, rotated, true);
      try {
        await session.send({ address: session.addresses.identity, abi: IdentityAbi, functionName: 'rotateEncryptionKey', args: [toHex(next.publicKey)] });
      } catch (error) {
        writeKeyBundle(file, bundle, true); // not registered: keep the file as it was
        throw error;
      }
      emit(global.json, { file, address: session.address, publicKey: toHex(next.publicKey), retiredKeys: rotated.previousEncryption!.length },
        `rotated the encryption key of ${session.address}; new public key ${toHex(next.publicKey)} registered on chain (${rotated.previousEncryption!.length} retired key(s) kept in ${file})`);
    },
  },
];
