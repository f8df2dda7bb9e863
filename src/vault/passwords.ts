import { spawn } from 'node:child_process'
import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, extname, resolve } from 'node:path'
import { InputError } from '../errors.ts'
import { isVaultText } from './format.ts'
import { DEFAULT_LABEL, Keyring, VaultError, type VaultSecret } from './keyring.ts'

// The vault options of ansible-playbook and ansible-inventory, as given on the command line.
export interface VaultOptions {
  // --vault-id LABEL@SOURCE (or SOURCE alone), in order; SOURCE is a file, an executable, or `prompt`.
  vaultIds: string[]
  // --vault-password-file FILE, in order.
  passwordFiles: string[]
  askVaultPass: boolean
}

// Where else passwords come from, as Ansible's config: the environment, and ansible.cfg's
// [defaults] vault_password_file / vault_identity_list (its reader passes them here; the environment wins).
export interface VaultSettings {
  env: NodeJS.ProcessEnv
  config?: { passwordFile?: string; identityList?: string[] }
  cwd: string
  // Reads a password without echo (src/prompt.ts).
  ask: (prompt: string) => Promise<string>
}

// A password script has this long to answer, and this much output, before it is refused.
const SCRIPT_TIMEOUT_MS = 120_000
const SCRIPT_MAX_BYTES = 64 * 1024
// ansible's ClientScriptVaultSecret: "no secret for that vault id".
const CLIENT_UNKNOWN_ID = 2

// Reads every vault password the run is given, in Ansible's order (CLI.setup_vault_secrets): the
// configured identity list, --vault-id, --vault-password-file, the configured password file, then
// --ask-vault-pass. A source that fails is bad input (exit 5), not a warning as in Ansible.
export async function loadVaultSecrets(o: VaultOptions, s: VaultSettings): Promise<Keyring> {
  const identities = s.env.ANSIBLE_VAULT_IDENTITY_LIST !== undefined ? splitList(s.env.ANSIBLE_VAULT_IDENTITY_LIST) : (s.config?.identityList ?? [])
  const configuredFile = s.env.ANSIBLE_VAULT_PASSWORD_FILE || s.config?.passwordFile
  const slugs = [
    ...identities,
    ...o.vaultIds,
    ...[...o.passwordFiles, ...(configuredFile ? [configuredFile] : [])].map((file) => `${DEFAULT_LABEL}@${file}`),
    ...(o.askVaultPass ? [`${DEFAULT_LABEL}@prompt_ask_vault_pass`] : []),
  ]
  const secrets: VaultSecret[] = []
  for (const slug of slugs) {
    const at = slug.indexOf('@')
    const label = at < 0 ? undefined : slug.slice(0, at)
    const source = at < 0 ? slug : slug.slice(at + 1)
    if (label === '' || source === '') throw new InputError(`--vault-id '${slug}': expected LABEL@SOURCE, SOURCE being a file, an executable or 'prompt'`)
    if (source === 'prompt' || source === 'prompt_ask_vault_pass') {
      const prompt = source === 'prompt' ? `Vault password (${label ?? DEFAULT_LABEL}): ` : 'Vault password: '
      const password = await s.ask(prompt).catch(() => '')
      if (password === '') throw new InputError(`no vault password was typed at '${prompt.trim()}'`)
      secrets.push({ label: label ?? DEFAULT_LABEL, password: Buffer.from(password), source: 'prompt' })
      continue
    }
    const file = resolve(s.cwd, source.replace(/^~(?=\/|$)/, homedir()))
    const password = await readPasswordSource(file, label, new Keyring(secrets))
    secrets.push({ label: label ?? DEFAULT_LABEL, password, source: file })
  }
  return new Keyring(secrets)
}

// A password file (its content, itself possibly vault-encrypted with an earlier password), or an executable
// that prints the password (a `*-client` script gets `--vault-id LABEL`, as in Ansible).
async function readPasswordSource(file: string, label: string | undefined, earlier: Keyring): Promise<Buffer> {
  const fail = (why: string) => new InputError(`vault password file ${file}: ${why}`)
  let info
  try {
    info = statSync(file)
  } catch {
    throw fail('does not exist')
  }
  if (!info.isFile()) throw fail('is not a file')
  let bytes: Buffer
  if (isExecutable(file)) bytes = await runScript(file, label, fail)
  else {
    let text = readFileSync(file, 'utf8').trim()
    if (isVaultText(text)) {
      try {
        text = earlier.decrypt(text)
      } catch (err) {
        if (err instanceof VaultError) throw fail(err.message)
        throw err
      }
    }
    bytes = Buffer.from(text)
  }
  const password = stripNewlines(bytes)
  if (password.length === 0) throw fail('gives an empty password')
  return password
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

// As Ansible runs it: stdin and (unless a client script) stderr are the user's, so a script may ask itself.
function runScript(file: string, label: string | undefined, fail: (why: string) => InputError): Promise<Buffer> {
  const client = basename(file, extname(file)).endsWith('-client')
  const args = client && label ? ['--vault-id', label] : []
  return new Promise((done, reject) => {
    const child = spawn(file, args, { stdio: ['inherit', 'pipe', client ? 'pipe' : 'inherit'] })
    const out: Buffer[] = []
    let size = 0
    let said = ''
    let why: string | undefined
    const stop = (reason: string) => {
      why ??= reason
      child.kill('SIGKILL')
    }
    const timer = setTimeout(() => stop(`the script did not answer within ${SCRIPT_TIMEOUT_MS / 1000} s`), SCRIPT_TIMEOUT_MS)
    child.stdout!.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > SCRIPT_MAX_BYTES) stop(`the script printed more than ${SCRIPT_MAX_BYTES} bytes`)
      else out.push(chunk)
    })
    child.stderr?.on('data', (chunk: Buffer) => (said = (said + chunk.toString('utf8')).slice(0, 1000)))
    child.on('error', (err: NodeJS.ErrnoException) => stop(`the script cannot be run (${err.code ?? err.message})`))
    child.on('close', (code) => {
      clearTimeout(timer)
      const first = said.trim().split('\n')[0]?.slice(0, 200) ?? ''
      if (why) return reject(fail(why))
      if (code === 0) return done(Buffer.concat(out))
      const reason = client && code === CLIENT_UNKNOWN_ID ? `the client script has no password for vault id '${label ?? ''}'` : `the script exited with ${code}`
      reject(fail(first ? `${reason}: ${first}` : reason))
    })
  })
}

// Ansible strips a password's surrounding newlines (a file's whole whitespace, a script's \r\n).
function stripNewlines(bytes: Buffer): Buffer {
  let start = 0
  let end = bytes.length
  while (start < end && (bytes[start] === 0x0a || bytes[start] === 0x0d)) start++
  while (end > start && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--
  return bytes.subarray(start, end)
}

function splitList(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter(Boolean)
}

// The vault passwords of a command run by a person: prompts on the terminal, $ANSIBLE_VAULT_* from the
// environment. ansible.cfg's vault_password_file and vault_identity_list come in through `config`.
export function commandKeyring(o: VaultOptions, cwd: string, config?: VaultSettings['config']): Promise<Keyring> {
  const none = o.vaultIds.length === 0 && o.passwordFiles.length === 0 && !o.askVaultPass
  if (none && !config && !process.env.ANSIBLE_VAULT_PASSWORD_FILE && !process.env.ANSIBLE_VAULT_IDENTITY_LIST) return Promise.resolve(new Keyring())
  return loadVaultSecrets(o, { env: process.env, cwd, config, ask: async (prompt) => (await import('../prompt.ts')).askSecret(prompt) })
}
