/** The Kong version the harness plays; a few behaviours differ across 3.x (see README.md). */
export class KongVersion {
  readonly parts: [number, number, number];

  constructor(readonly text: string) {
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
    if (!m) throw new Error(`not a Kong version: ${text}`);
    this.parts = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  }

  atLeast(major: number, minor: number, patch = 0): boolean {
    const [a, b, c] = this.parts;
    if (a !== major) return a > major;
    if (b !== minor) return b > minor;
    return c >= patch;
  }

  /** `kong/<version>` as Kong's Server header and 3.4's Via header print it. */
  get product(): string {
    return `kong/${this.text}`;
  }
}

/** The image kong/Dockerfile builds on. */
export const DEFAULT_KONG_VERSION = '3.9.1';
