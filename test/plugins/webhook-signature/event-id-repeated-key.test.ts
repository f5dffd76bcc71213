/**
 * `id_json_field` takes the event id JSON.parse sees (the last occurrence of a repeated top-level
 * key, RFC 8259 §4 allows repeats), and a number above 2^53 exactly as the sender wrote it, even
 * when the body repeats a key. Found by review: the second, lossless parse used for such numbers
 * refused repeated keys and threw, so a genuine, verified delivery with a 64-bit id and a repeated
 * key anywhere at the top level got a 500 on every retry, until the sender gave up on the event.
 */
import { describe, expect, it } from 'vitest';
import { eventIdOf } from '../../../plugins/webhook-signature/dedup';

const idOf = (body: string, field = 'id') => eventIdOf({ jsonField: field }, new Map(), Buffer.from(body));

describe('JSON event id with a repeated (unrelated) key', () => {
  it('control: without the repeated key the 64-bit id is read as written', () => {
    const body = Buffer.from('{"id":12345678901234567890,"tag":"a"}');
    expect(eventIdOf({ jsonField: 'id' }, new Map(), body)).toBe('12345678901234567890');
  });

  it('a repeated unrelated key does not turn the lookup into an exception', () => {
    const body = Buffer.from('{"id":12345678901234567890,"tag":"a","tag":"b"}');
    expect(JSON.parse(body.toString()).tag).toBe('b'); // valid JSON for JSON.parse
    expect(() => eventIdOf({ jsonField: 'id' }, new Map(), body)).not.toThrow();
    expect(eventIdOf({ jsonField: 'id' }, new Map(), body)).toBe('12345678901234567890');
  });
});

describe('JSON event id: the occurrence JSON.parse keeps, as written', () => {
  it('the id key itself repeated: the last one, as JSON.parse takes it', () => {
    expect(idOf('{"id":11111111111111111111,"id":22222222222222222222}')).toBe('22222222222222222222');
    expect(idOf('{"id":"evt_first","id":33333333333333333333}')).toBe('33333333333333333333');
    // the last is a string: that string, never an earlier number
    expect(idOf('{"id":44444444444444444444,"id":"evt_last"}')).toBe('evt_last');
  });

  it('nested values, strings holding braces, quotes and escapes, and whitespace do not mislead the scan', () => {
    const body = ` {
      "data" : {"id": 1, "items": [{"id": 2}, "}", "\\"id\\":3"]},
      "note":"a } b ] c \\\\",
      "id"\t:\r\n 98765432109876543210 ,
      "more": [[], {}, null, true, false, -1.5e3]
    } `;
    expect(JSON.parse(body).id).toBe(98765432109876543210);
    expect(idOf(body)).toBe('98765432109876543210');
  });

  it('an escaped key spelling the field counts, as for JSON.parse', () => {
    expect(idOf('{"\\u0069d":55555555555555555555,"tag":"x","tag":"y"}')).toBe('55555555555555555555');
  });

  it('random bodies with repeated keys: always the last top-level id, never an exception', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const big = () => `${1 + rand(9)}${Array.from({ length: 19 }, () => rand(10)).join('')}`;
    const values = [() => big(), () => '"s}]\\"{"', () => '{"id":7,"x":[1,{"id":8}]}', () => '[{"id":9},"]"]', () => 'null', () => '-0.5'];
    const keys = ['id', 'tag', 'data', 'id '];
    for (let round = 0; round < 500; round++) {
      const pairs: Array<[string, string]> = [];
      const count = 1 + rand(6);
      for (let i = 0; i < count; i++) pairs.push([keys[rand(keys.length)]!, values[rand(values.length)]!()]);
      pairs.push(['id', big()]);
      for (let i = rand(3); i > 0; i--) pairs.push([keys[1 + rand(keys.length - 1)]!, values[rand(values.length)]!()]);
      const ws = () => [' ', '', '\n', '\t'][rand(4)]!;
      const body = `${ws()}{${pairs.map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${v}${ws()}`).join(',')}}${ws()}`;
      const last = [...pairs].reverse().find(([k]) => k === 'id')![1];
      expect(idOf(body), body).toBe(last);
    }
  });
});
