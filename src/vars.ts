// Variables as they travel from inventory and playbooks to roles.
export type Vars = Record<string, unknown>
