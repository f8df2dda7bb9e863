import { dirname } from 'node:path'
import type { Facts } from '../sdk/facts.types.ts'
import type { Vars } from '../vars.ts'
import type { RunEvent } from './events.ts'
import type { HostState } from './host-state.ts'
import { roleCodeHash, roleInputs, type RoleInputs } from './role-inputs.ts'
import type { RoleCatalog } from './roles.ts'

// Whether a role runs on a host, and why (what changed, or since when nothing did).
export interface Selection {
  run: boolean
  reason: string
}

// --stale's verdict for a role on a host, given its inputs (src/records/stale.ts staleSelector).
export type RoleSelect = (host: string, role: string, inputs: Record<string, unknown>) => Selection

// Once per host and role, before the role's first task: its inputs (always: the run record keeps them),
// then --stale's verdict. Inputs that cannot be computed (the role's own inputs() threw) run the role.
export class RoleSelection {
  // Role name → sha256 of its folder, computed once per run.
  private readonly codes = new Map<string, string>()

  constructor(
    private readonly catalog: RoleCatalog,
    private readonly select: RoleSelect | undefined,
    private readonly emit: (e: RunEvent) => void,
    // As the record would store them (the redactor's mask): a decrypted value never reaches it, and compares equal next time.
    private readonly masked: (inputs: RoleInputs) => RoleInputs,
  ) {}

  // Why the role sits this run out on the host, or undefined: it runs.
  skipReason(state: HostState, role: string, vars: Vars, facts: Facts | undefined): string | undefined {
    let inputs: RoleInputs
    try {
      inputs = this.masked(roleInputs(this.catalog.get(role), this.code(role), vars, facts))
    } catch (err) {
      const reason = `its inputs could not be read: ${err instanceof Error ? err.message : String(err)}`
      this.emit({ type: 'warn', host: state.name, message: `role '${role}': ${reason}` })
      if (this.select) this.selected(state, role, true, reason)
      return undefined
    }
    this.emit({ type: 'role-inputs', host: state.name, role, inputs })
    if (!this.select) return undefined
    const { run, reason } = this.select(state.name, role, inputs)
    this.selected(state, role, run, reason)
    return run ? undefined : reason
  }

  private selected(state: HostState, role: string, run: boolean, reason: string): void {
    ;(state.summary.selection ??= []).push({ role, run, reason })
    this.emit({ type: 'role-selected', host: state.name, role, run, reason })
  }

  private code(role: string): string {
    let code = this.codes.get(role)
    if (code === undefined) {
      const file = this.catalog.file(role)
      this.codes.set(role, (code = file ? roleCodeHash(dirname(file)) : ''))
    }
    return code
  }
}
