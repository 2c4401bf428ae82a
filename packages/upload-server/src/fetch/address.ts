import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** 2000::/3: the only IPv6 block the Internet routes as global unicast. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * The IPv4 address an IPv6 address stands for, when it is one of the forms that reach an IPv4 host: IPv4-mapped
 * (`::ffff:a.b.c.d`) and the deprecated IPv4-compatible form (`::a.b.c.d`). Null otherwise.
 */
function embeddedV4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (addr.isIPv4MappedAddress()) return addr.toIPv4Address();
  const parts = addr.parts;
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || (parts[7] ?? 0) > 1)) {
    const [hi = 0, lo = 0] = parts.slice(6);
    return ipaddr.IPv4.parse(`${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`);
  }
  return null;
}

/** Parses an address literal (brackets allowed) to its canonical form: IPv4 for the IPv6 forms of IPv4 addresses. */
export function parseAddress(literal: string): Address | null {
  const bare = literal.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return null;
  // Only the dotted-quad form of IPv4 counts as a literal here; URL parsing already turned 0x7f.1 or 2130706433
  // into 127.0.0.1, and DNS answers are always dotted quads.
  if (!bare.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return null;
  const addr = ipaddr.parse(bare);
  if (addr.kind() === 'ipv6') return embeddedV4(addr as ipaddr.IPv6) ?? addr;
  return addr;
}

/**
 * Why an address must not be reached from the server (loopback, private, link-local and the cloud metadata
 * address, unique-local, CGNAT, "this network", multicast, broadcast, reserved, documentation, NAT64/6to4/Teredo
 * forms that can tunnel to any of those), or null when it is a public unicast address.
 */
export function forbiddenReason(addr: Address): string | null {
  if (addr.kind() === 'ipv4') {
    const range = addr.range();
    return range === 'unicast' ? null : range;
  }
  const v6 = addr as ipaddr.IPv6;
  const v4 = embeddedV4(v6);
  if (v4) return forbiddenReason(v4);
  const range = v6.range();
  if (range !== 'unicast') return range;
  return v6.match(GLOBAL_UNICAST_V6) ? null : 'reserved';
}

/** An allow-list from config: CIDR ranges, single addresses and host names (`example.com` or `*.example.com`). */
export class AllowList {
  private readonly ranges: Array<[Address, number]> = [];
  private readonly hosts = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase();
      if (entry.includes('/')) {
        const [first, bits] = ipaddr.parseCIDR(entry.replace(/^\[|\]/g, ''));
        this.ranges.push([first, bits]);
        // An IPv4-mapped range also covers the IPv4 addresses it maps.
        if (first.kind() === 'ipv6' && (first as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
          this.ranges.push([(first as ipaddr.IPv6).toIPv4Address(), bits - 96]);
        }
        continue;
      }
      const addr = parseAddress(entry);
      if (addr) this.ranges.push([addr, addr.kind() === 'ipv4' ? 32 : 128]);
      else if (entry.startsWith('*.')) this.suffixes.push(entry.slice(1));
      else this.hosts.add(entry.replace(/\.$/, ''));
    }
  }

  /** Whether a host name (as written in the URL) is allowed whatever it resolves to. */
  allowsHost(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/\.$/, '');
    return this.hosts.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  allowsAddress(addr: Address): boolean {
    return this.ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
  }
}

/** Checks an allow-list entry, for config validation: the message says what is wrong, or null when it is fine. */
export function allowEntryProblem(entry: string): string | null {
  const e = entry.trim();
  if (e.includes('/')) {
    try {
      ipaddr.parseCIDR(e.replace(/^\[|\]/g, ''));
      return null;
    } catch {
      return `"${entry}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`;
    }
  }
  if (parseAddress(e)) return null;
  return /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(e)
    ? null
    : `"${entry}" is not a host name, an address or a CIDR range`;
}
