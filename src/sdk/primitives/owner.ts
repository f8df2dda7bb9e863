import { StepError } from '../outcome.ts'

// An owner or group is a name or a numeric id; ':' would split a chown spec, and '' means nothing.
export function checkAccount(what: 'owner' | 'group', value: string | undefined): void {
  if (value === undefined) return
  if (value === '' || /[:\n\0]/.test(value)) throw new StepError(`invalid ${what} ${JSON.stringify(value)}`)
}

// An owner given as a name or a numeric id matches either form of what stat saw.
export function sameAccount(want: string, id: string, name: string): boolean {
  return want === id || want === name
}

// The `chown` argument for the parts asked for ("user", ":group", "user:group"), or undefined for none.
export function chownSpec(owner: string | undefined, group: string | undefined): string | undefined {
  if (owner === undefined && group === undefined) return undefined
  return `${owner ?? ''}${group === undefined ? '' : `:${group}`}`
}
