// Namespacing for the aggregate endpoint: `<server><sep><name>`. The server part is matched
// against configured names, so a tool whose own name contains the separator still routes.

export function joinName(server: string, name: string, sep: string): string {
  return `${server}${sep}${name}`;
}

export function splitName(
  full: string,
  sep: string,
  servers: ReadonlyMap<string, unknown>,
): { server: string; name: string } | undefined {
  const at = full.indexOf(sep);
  if (at <= 0) return undefined;
  const server = full.slice(0, at);
  if (!servers.has(server)) return undefined;
  return { server, name: full.slice(at + sep.length) };
}
