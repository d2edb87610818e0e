/**
 * Debian kernel packages, pure: the kernel stanzas of a binary Packages index, the checksum a suite's
 * Release file gives its Packages.xz, dependency relations and whether a version satisfies them, the
 * walk from a metapackage (linux-image-cloud-amd64) through its Depends to the package that holds the
 * image, where a kernel package keeps its image and config, and what a kernel config says about booting
 * an initramfs on a serial console without modules.
 *
 * Two layouts of Debian's kernel packages are known. Up to 6.x: linux-image-RELEASE holds
 * boot/vmlinuz-RELEASE and boot/config-RELEASE (and the modules). From 7.x on: linux-image-RELEASE is
 * a dependency package; linux-binary-RELEASE holds usr/lib/modules/RELEASE/vmlinuz and
 * linux-base-RELEASE holds usr/lib/modules/RELEASE/config. An index lists no files, so which package
 * holds what is read off the Depends chain and the package names, and checked once the .deb is open.
 */
import { didYouMean } from '../util/suggest.js';
import { compareDebianVersions, parseDeb822 } from './debian.js';
import { SourceError } from './sources.js';

export interface KernelSpec {
  /** The matrix's name for the kernel (k6.1); only messages use it. */
  id?: string;
  suite: string;
  package: string;
  /** 'latest' (the default) or a Debian version. */
  version?: string;
  /** Default: http://deb.debian.org/debian. */
  mirror?: string;
  /** Default: amd64. */
  arch?: string;
}

/** One version of one package, as a binary Packages index lists it. */
export interface PackageEntry {
  package: string;
  version: string;
  /** The Depends field, as written (empty when there is none). */
  depends: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface Relation {
  name: string;
  op?: '=' | '>=' | '<=' | '>>' | '<<';
  version?: string;
}

/** What an index says about a kernel spec: which package to download, and what else may be needed. */
export interface KernelChoice {
  /** The packages followed, from the named one to the image's holder. */
  chain: PackageEntry[];
  /** The package that should hold the image (the last of the chain). */
  image: PackageEntry;
  /** Packages of the same release that hold the image if `image` turns out not to (the -unsigned ones). */
  fallbacks: PackageEntry[];
  /** Release-specific packages the chain depends on that may hold the config (linux-base-RELEASE). */
  configHolders: PackageEntry[];
}

/** The packages an index of kernels keeps: images, metapackages, binaries and release bases. */
export const KERNEL_PACKAGE = /^linux-(image|binary|base)-/;

/** How many Depends hops a metapackage may take to its image (cloud-amd64 -> image-R -> binary-R). */
export const MAX_HOPS = 4;

export const DEFAULT_KERNEL_MIRROR = 'http://deb.debian.org/debian';
export const DEFAULT_KERNEL_ARCH = 'amd64';

/** "kernel k6.1", the opening of every message about a spec. */
export function kernelLabel(spec: KernelSpec): string {
  return `kernel ${spec.id ?? spec.package}`;
}

/**
 * The stanzas of a Packages index whose package is a kernel's (KERNEL_PACKAGE), without parsing the
 * other tens of thousands. A stanza lacking Filename, Size or SHA256 is left out.
 */
export function kernelStanzas(packagesText: string): PackageEntry[] {
  const out: PackageEntry[] = [];
  for (const chunk of packagesText.split(/\n\s*\n/)) {
    const head = /^\s*Package:\s*(\S+)/.exec(chunk);
    if (!head || !KERNEL_PACKAGE.test(head[1] as string)) continue;
    const p = parseDeb822(chunk)[0];
    if (!p) continue;
    const size = Number(p.get('Size'));
    const sha256 = p.get('SHA256') ?? '';
    const filename = p.get('Filename') ?? '';
    const version = p.get('Version') ?? '';
    if (!filename || !version || !Number.isSafeInteger(size) || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    out.push({
      package: head[1] as string,
      version,
      depends: p.get('Depends') ?? '',
      filename,
      size,
      sha256,
    });
  }
  return out;
}

/** The sha256 and size a Release file lists for a path under its suite (main/binary-amd64/Packages.xz). */
export function releaseChecksum(
  releaseText: string,
  path: string,
): { sha256: string; size: number } | undefined {
  const p = parseDeb822(releaseText)[0];
  for (const line of (p?.get('SHA256') ?? '').split('\n')) {
    const [sha256, size, name] = line.trim().split(/\s+/);
    if (name === path && sha256 && /^[0-9a-f]{64}$/.test(sha256)) return { sha256, size: Number(size) };
  }
  return undefined;
}

/**
 * A Depends field: its comma-separated items, each a list of alternatives. Architecture qualifiers
 * (`:any`) and restrictions (`[amd64]`, `<!nocheck>`) are dropped.
 */
export function parseRelations(field: string): Relation[][] {
  const items: Relation[][] = [];
  for (const item of field.split(',')) {
    const alternatives: Relation[] = [];
    for (const alt of item.split('|')) {
      const text = alt
        .replace(/\[[^\]]*\]|<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      const m = /^([a-z0-9][a-z0-9+.-]*)(?::\S+)?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^)\s]+)\s*\))?$/.exec(
        text,
      );
      if (!m) continue;
      const rel: Relation = { name: m[1] as string };
      if (m[2] && m[3]) {
        // `<` and `>` are the deprecated spellings of `<=` and `>=`.
        rel.op = (m[2] === '<' ? '<=' : m[2] === '>' ? '>=' : m[2]) as Relation['op'];
        rel.version = m[3];
      }
      alternatives.push(rel);
    }
    if (alternatives.length) items.push(alternatives);
  }
  return items;
}

/** Does `version` satisfy the relation's version constraint (none: any version does)? */
export function satisfies(version: string, rel: Relation): boolean {
  if (!rel.op || rel.version === undefined) return true;
  const c = compareDebianVersions(version, rel.version);
  switch (rel.op) {
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '<=':
      return c <= 0;
    case '>>':
      return c > 0;
    case '<<':
      return c < 0;
  }
}

export function relationText(rel: Relation): string {
  return rel.op ? `${rel.name} (${rel.op} ${rel.version})` : rel.name;
}

/** The highest version of a package that satisfies the relation, or undefined. */
function newestSatisfying(index: readonly PackageEntry[], rel: Relation): PackageEntry | undefined {
  return index
    .filter((e) => e.package === rel.name && satisfies(e.version, rel))
    .sort((a, b) => compareDebianVersions(a.version, b.version))
    .at(-1);
}

const isDebug = (name: string) => name.endsWith('-dbg');

/**
 * The dependency a metapackage is followed through: its first item whose first alternative is a
 * linux-binary-* package, else a linux-image-* one (debug symbols never). Undefined: the package is
 * no metapackage, and should hold the image itself.
 */
export function imageDependency(entry: PackageEntry): Relation | undefined {
  const firsts = parseRelations(entry.depends)
    .map((alts) => alts[0] as Relation)
    .filter((r) => !isDebug(r.name));
  return (
    firsts.find((r) => r.name.startsWith('linux-binary-')) ??
    firsts.find((r) => r.name.startsWith('linux-image-'))
  );
}

/**
 * Resolves a spec in a suite's kernel index: the named package at the asked version (the highest for
 * 'latest'), followed through its Depends to the package that holds the image. Throws a one-line
 * SourceError for a package the index lacks (with a did-you-mean over the linux-image-* names), a
 * version it lacks (with the versions it has), a broken or too long chain.
 */
export function chooseKernel(index: readonly PackageEntry[], spec: KernelSpec): KernelChoice {
  const label = kernelLabel(spec);
  const arch = spec.arch ?? DEFAULT_KERNEL_ARCH;
  const mirror = spec.mirror ?? DEFAULT_KERNEL_MIRROR;
  const wanted = spec.version ?? 'latest';
  if (isDebug(spec.package))
    throw new SourceError(`${label}: ${spec.package} holds debug symbols, not a kernel one can boot`);
  const versions = index.filter((e) => e.package === spec.package);
  if (!versions.length) {
    const images = [...new Set(index.map((e) => e.package).filter((n) => n.startsWith('linux-image-')))];
    throw new SourceError(
      `${label}: ${spec.suite} on ${mirror} has no package "${spec.package}" for ${arch}${didYouMean(spec.package, images)}`,
    );
  }
  versions.sort((a, b) => compareDebianVersions(a.version, b.version));
  const named =
    wanted === 'latest'
      ? versions.at(-1)
      : versions.find((e) => compareDebianVersions(e.version, wanted) === 0);
  if (!named) {
    const has = versions.map((e) => e.version).reverse();
    throw new SourceError(
      `${label}: ${spec.suite} on ${mirror} has no ${spec.package} ${wanted}; it has ${has.join(', ')}`,
    );
  }
  const chain = [named];
  let image = named;
  for (let hop = 0; ; hop++) {
    const dep = imageDependency(image);
    if (!dep) break;
    if (hop === MAX_HOPS)
      throw new SourceError(
        `${label}: ${chain.map((e) => e.package).join(' -> ')} reaches no kernel image within ${MAX_HOPS} dependencies`,
      );
    const next = newestSatisfying(index, dep);
    if (!next)
      throw new SourceError(
        `${label}: ${image.package} ${image.version} depends on ${relationText(dep)}, which ${spec.suite} on ${mirror} does not have`,
      );
    chain.push(next);
    image = next;
  }
  const sameVersion = (name: string) => index.find((e) => e.package === name && e.version === image.version);
  const fallbacks = [
    `${image.package}-unsigned`,
    image.package.replace(/^linux-binary-/, 'linux-binary-unsigned-'),
  ]
    .filter((n) => n !== image.package)
    .map(sameVersion)
    .filter((e): e is PackageEntry => e !== undefined);
  const configHolders: PackageEntry[] = [];
  for (const e of chain)
    for (const alts of parseRelations(e.depends)) {
      const r = alts[0] as Relation;
      if (!/^linux-base-\d/.test(r.name)) continue;
      const holder = newestSatisfying(index, r);
      if (holder && !configHolders.some((h) => h.package === holder.package)) configHolders.push(holder);
    }
  return { chain, image, fallbacks, configHolders };
}

/** Where a kernel package keeps its image: boot/vmlinuz-RELEASE (up to 6.x), usr/lib/modules/RELEASE/vmlinuz. */
export const IMAGE_MEMBERS = ['./boot/vmlinuz-*', './usr/lib/modules/*/vmlinuz'] as const;
/** Where it keeps the config the image was built with. */
export const CONFIG_MEMBERS = ['./boot/config-*', './usr/lib/modules/*/config'] as const;

/** The kernel release a member's path names (6.1.0-41-cloud-amd64), or undefined when it is neither. */
export function releaseOfMember(path: string, kind: 'vmlinuz' | 'config'): string | undefined {
  const p = path.replace(/^\.?\//, '');
  const boot = new RegExp(`^boot/${kind}-([^/]+)$`).exec(p);
  if (boot) return boot[1];
  const lib = new RegExp(`^(?:usr/)?lib/modules/([^/]+)/${kind}$`).exec(p);
  return lib?.[1];
}

/** What a kernel config says about booting it under QEMU with an initramfs on a serial console. */
export interface KernelFeatures {
  /** CONFIG_RSEQ=y: the kernel has rseq(2). */
  rseq: boolean;
  /** CONFIG_SERIAL_8250=y and CONFIG_SERIAL_8250_CONSOLE=y: console=ttyS0 works without modules. */
  serialConsole: boolean;
  /** CONFIG_BLK_DEV_INITRD=y: an initramfs is unpacked at all. */
  initramfs: boolean;
  /** The compressions an initramfs may use (CONFIG_RD_GZIP=y -> 'gzip'), sorted. */
  initramfsCompressions: string[];
  /** CONFIG_DEVTMPFS=y: /dev can be mounted in an initramfs without udev. */
  devtmpfs: boolean;
  /** Every CONFIG_VIRTIO_* option set, by name without CONFIG_ (VIRTIO_PCI: 'y' | 'm'). */
  virtio: Record<string, 'y' | 'm'>;
  /**
   * What a module-less boot on a serial console needs built in and this config lacks, as option names
   * (CONFIG_SERIAL_8250_CONSOLE); empty when such a boot can work. A gzip initramfs is assumed.
   */
  missing: string[];
}

/** The options a module-less boot of an initramfs (gzip) on ttyS0 needs built in (=y). */
export const BOOT_NEEDS = [
  'CONFIG_BLK_DEV_INITRD',
  'CONFIG_RD_GZIP',
  'CONFIG_BINFMT_ELF',
  'CONFIG_TTY',
  'CONFIG_SERIAL_8250',
  'CONFIG_SERIAL_8250_CONSOLE',
  'CONFIG_DEVTMPFS',
  'CONFIG_PROC_FS',
] as const;

/** The options a kernel config sets (`CONFIG_X=y|m|"text"|number`); `# CONFIG_X is not set` is left out. */
export function parseKernelConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

export function kernelFeatures(configText: string): KernelFeatures {
  const c = parseKernelConfig(configText);
  const y = (name: string) => c.get(name) === 'y';
  const virtio: Record<string, 'y' | 'm'> = {};
  for (const [k, v] of [...c].sort(([a], [b]) => a.localeCompare(b)))
    if (k.startsWith('CONFIG_VIRTIO') && (v === 'y' || v === 'm')) virtio[k.slice('CONFIG_'.length)] = v;
  const initramfsCompressions = [...c]
    .filter(([k, v]) => k.startsWith('CONFIG_RD_') && v === 'y')
    .map(([k]) => k.slice('CONFIG_RD_'.length).toLowerCase())
    .sort();
  return {
    rseq: y('CONFIG_RSEQ'),
    serialConsole: y('CONFIG_SERIAL_8250') && y('CONFIG_SERIAL_8250_CONSOLE'),
    initramfs: y('CONFIG_BLK_DEV_INITRD'),
    initramfsCompressions,
    devtmpfs: y('CONFIG_DEVTMPFS'),
    virtio,
    missing: BOOT_NEEDS.filter((n) => !y(n)),
  };
}
