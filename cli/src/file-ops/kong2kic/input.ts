/**
 * The decK file to convert, read as every kong-ctl command reads one (loadDesired: `${{ env
 * "DECK_…" }}` templates, `_format_version`, YAML errors at file:line) but, as decK's kong2kic,
 * not validated against Kong's schemas: the manifests carry the settings, KIC and Kong judge
 * them. Keys for what kong-ctl does not manage (consumer groups, mTLS credentials…) are
 * refused at their line, as everywhere in kong-ctl.
 */
import { loadDesired } from '../../desired/load';
import { checkFileSchema } from '../../desired/file-schema';
import { KongCtlError, type Diagnostic } from '../../model/errors';
import type { Io } from '../../commands/context';
import type { Obj } from './types';

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
      if (!p.unmanaged) continue;
      diagnostics.push({ code: 'E_VALIDATION', message: p.message, source: { file: file.name, ...file.locate(p.path, { key: p.atKey }), path: '' } });
    }
  }
  return { name: file.name, content: (file.content ?? {}) as Obj, diagnostics };
}
