import { describe, expect, it } from 'vitest';
import { foldHeaderName, otherSpellings, spellingsOf, vouchedNames } from '../../../plugins/shared/header-spellings';

describe('header spellings', () => {
  it('fold case, "-" and "_" as $http_* variables and CGI do', () => {
    expect(foldHeaderName('X-User_Id')).toBe('x_user_id');
  });

  it('otherSpellings lists what a client sent under another spelling of a vouched name, not the name itself', () => {
    const sent = ['x-user-id', 'x_user_id', 'x_user-id', 'x-consumer_username', 'x-other', 'x_user_ids'];
    expect(otherSpellings(sent, vouchedNames(['X-User-Id', 'X-Consumer-Username']))).toEqual(['x_user_id', 'x_user-id', 'x-consumer_username']);
    expect(otherSpellings(['x-user-id'], vouchedNames(['X_User_Id']))).toEqual(['x-user-id']);
    expect(otherSpellings(sent, vouchedNames([]))).toEqual([]);
  });

  it('spellingsOf lists every sent name of one header, the exact one included', () => {
    expect(spellingsOf(['authorization', 'x-api-token', 'x_api_token', 'x-api'], 'X-Api-Token')).toEqual(['x-api-token', 'x_api_token']);
  });
});
