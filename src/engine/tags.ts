// Ansible's tag rules: 'always' runs unless skipped by name, 'never' only when asked for by name.
export function selectedByTags(taskTags: Iterable<string>, only: string[], skip: string[]): boolean {
  const tags = new Set(taskTags)
  if (skip.some((t) => tags.has(t) || (t === 'all' && !tags.has('always')))) return false
  if (only.length === 0 || only.includes('all')) return !tags.has('never') || only.some((t) => tags.has(t))
  if (tags.has('always')) return true
  if (only.includes('tagged') && tags.size > 0) return true
  if (only.includes('untagged') && tags.size === 0) return true
  return only.some((t) => tags.has(t))
}
