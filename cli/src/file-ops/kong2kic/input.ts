/**
 * The decK file to convert, read as every kong-ctl command reads one (loadDesired: `${{ env
 * "DECK_…" }}` templates, `_format_version`, YAML errors at file:line) but, as decK's kong2kic,
 * not validated against Kong's schemas: the manifests carry the settings, KIC and Kong judge
 * them. Keys for what kong-ctl does not manage are refused at their line, as everywhere in
 * kong-ctl, but for consumer groups (a consumer's `groups` and a plugin's `consumer_group` too)
 * and mTLS credentials: Kong Enterprise entities, which KIC configures from the
 * KongConsumerGroups and credential Secrets decK writes for them, and kong2kic writes too.
 */
import { loadDesired } from '../../desired/load';
import { checkFileSchema } from '../../desired/file-schema';
import { formatEntityPath } from '../../desired/file-format';
import { isPlainObject } from '../../diff/values';
import { KongCtlError, type Diagnostic } from '../../model/errors';
import type { Io } from '../../commands/context';
import type { PathSegment } from '../../desired/positions';
import { checkShape } from './shape';
import type { Obj } from './types';

/**
 * Where an unmanaged key has a KIC manifest: `consumer_groups`, a consumer's `groups` and
 * `mtls_auth_credentials`, and a plugin's `consumer_group` (its KongPlugin goes to the group).
 */
function convertedHere(path: PathSegment[]): boolean {
  const key = path[path.length - 1];
  if (path.length === 1) return key === 'consumer_groups';
  if (key === 'consumer_group') return path[path.length - 3] === 'plugins';
  return path.length === 3 && path[0] === 'consumers' && (key === 'groups' || key === 'mtls_auth_credentials');
}

export interface DeckInput {
  name: string;
  content: Obj;
  diagnostics: Diagnostic[];
}

export async function readDeckInput(name: string, io: Io): Promise<DeckInput> {
  const result = await loadDesired({ files: [name], env: io.env, readStdin: io.readStdin });
  const unread = result.diagnostics.filter((d) => d.code === 'E_FILE_READ');
  if (unread.length) throw new KongCtlError('E_FILE_READ', unread.map((d) => d.message).join('; '));
  if (result.files.length !== 1) {
    throw new KongCtlError('E_USAGE', `${name} holds ${result.files.length} files: kong2kic takes one (merge them first with kong-ctl file merge)`);
  }
  const file = result.files[0];
  // The loader's own problems (syntax, templates, format version, the file's shape); not
  // those of the Kong entity schemas, which validateDesired would add.
  const diagnostics = [...result.diagnostics];
  if (file.content !== undefined) {
    for (const p of checkFileSchema(file.content)) {
      if (!p.unmanaged || convertedHere(p.path)) continue;
      diagnostics.push({ code: 'E_VALIDATION', message: p.message, source: { file: file.name, ...file.locate(p.path, { key: p.atKey }), path: '' } });
    }
    if (isPlainObject(file.content)) {
      for (const p of checkShape(file.content)) {
        diagnostics.push({ code: 'E_VALIDATION', message: `${formatEntityPath(p.path)}: ${p.message}`, source: { file: file.name, ...file.locate(p.path), path: '' } });
      }
    }
  }
  return { name: file.name, content: (file.content ?? {}) as Obj, diagnostics };
}
