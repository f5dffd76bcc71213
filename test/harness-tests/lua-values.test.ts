import { describe, expect, it } from 'vitest';
import { cjsonEncode, formatG14, luaFromMsgpack, luaToWire } from '../harness';

describe('values as Kong\'s Lua side keeps them', () => {
  it('prints numbers like cjson (%.14g), as in the recorded kong.log.serialize', () => {
    expect(formatG14(1.7954670795211e18)).toBe('1.7954670795211e+18');
    expect(formatG14(1795467079520)).toBe('1795467079520');
    expect(formatG14(0.1 + 0.2)).toBe('0.3');
    expect(formatG14(0.00001)).toBe('1e-05');
    expect(formatG14(-2.5)).toBe('-2.5');
    expect(formatG14(123456789012346)).toBe('1.2345678901235e+14');
  });

  it('encodes JSON like cjson: escaped slashes, empty tables as objects unless they came with array_mt', () => {
    expect(cjsonEncode({ url: 'http://x/y', list: [], nested: {} })).toBe('{"url":"http:\\/\\/x\\/y","list":{},"nested":{}}');
    expect(cjsonEncode({ tries: [] }, { arraysKeepMetatable: true })).toBe('{"tries":[]}');
    expect(JSON.parse(cjsonEncode({ message: 'probe exit table' }))).toEqual({ message: 'probe exit table' });
  });

  it('loses what lua-MessagePack loses: nil map values, array holes, binary-ness', () => {
    expect(luaFromMsgpack({ a: null, b: 1 })).toEqual({ b: 1 });
    expect(luaFromMsgpack([1, null, 3])).toEqual({ 1: 1, 3: 3 });
    expect(luaFromMsgpack([1, 2, null])).toEqual([1, 2]);
    expect(luaFromMsgpack(Buffer.from('bin'))).toBe('bin');
  });

  it('packs empty tables as empty arrays on the way back', () => {
    expect(luaToWire({})).toEqual([]);
    expect(luaToWire({ a: {}, b: [1] })).toEqual({ a: [], b: [1] });
  });
});
