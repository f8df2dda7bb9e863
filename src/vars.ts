// Variables as they travel from inventory and playbooks to roles.
export type Vars = Record<string, unknown>

// Variables whose name says they are secret: their values never reach the output, JSON, retry file or record.
export const SECRET_NAME = /(^|_)(pass|password|passwd|passphrase|secret|token|api_key)$/i
