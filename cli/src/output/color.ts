/**
 * Colour is decided by the caller (TTY and NO_COLOR are the command layer's business), never
 * by picocolors' own environment sniffing: `colors(false)` returns identity formatters.
 */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}
