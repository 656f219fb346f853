import { DEFAULT_STORAGE_CLASS, resolveStorage } from '../../lib/core/storage';

describe('resolveStorage', () => {
  test('defaults apply: the construct\'s size, and the one default class for every construct', () => {
    expect(DEFAULT_STORAGE_CLASS).toBe('gp3-encrypted');
    expect(resolveStorage('storage', undefined, { size: '8Gi' })).toEqual({
      storage: { size: '8Gi', storageClass: 'gp3-encrypted' }, problems: [],
    });
    expect(resolveStorage('storage', { size: '20Gi' }, { size: '10Gi' })).toEqual({ storage: { size: '20Gi', storageClass: 'gp3-encrypted' }, problems: [] });
    expect(resolveStorage('storage', { storageClass: 'io2' }, { size: '10Gi' }).storage).toEqual({ size: '10Gi', storageClass: 'io2' });
  });

  test('the deprecated storageClassName still selects the class', () => {
    expect(resolveStorage('brokerStorage', { storageClassName: 'gp3' }, { size: '100Gi' }).storage).toEqual({ size: '100Gi', storageClass: 'gp3' });
  });

  test('every problem, named under the prop the user wrote', () => {
    expect(resolveStorage('brokerStorage', { size: '10Mi', storageClassName: 'GP3' }, { size: '100Gi', minBytes: 2 ** 30 }).problems).toEqual([
      { prop: 'brokerStorage.size', value: '10Mi', why: 'is not a storage quantity of at least 1Gi', fix: 'give at least 1Gi' },
      { prop: 'brokerStorage.storageClassName', value: 'GP3', why: 'is not a StorageClass name', fix: 'use e.g. "gp3-encrypted"' },
    ]);
    expect(resolveStorage('storage', { size: '1.5Gi', storageClass: 'a', storageClassName: 'b' }, { size: '1Gi' }).problems.map(p => `${p.prop}: ${p.why}`)).toEqual([
      'storage.size: is not a whole byte quantity in Mi, Gi or Ti',
      'storage.storageClassName: contradicts storageClass ("a")',
    ]);
  });
});
