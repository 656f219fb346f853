/**
 * The broker configuration names the Kafka renderer emits, with their documented types, taken
 * from Kafka 3.8's broker configuration reference (the types are the `Type:` of each entry, as
 * in Kafka's `ConfigDef` definitions). Only the keys we use are listed; a new key in the
 * renderer fails the test until it is added here from the documentation.
 *
 * @see https://kafka.apache.org/38/configuration/broker-configs
 */

/** A ConfigDef type as the documentation prints it. */
export type KafkaConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';

/** One documented broker configuration. */
export interface KafkaBrokerConfigDoc {
  readonly type: KafkaConfigType;
  /** The documented "Valid Values", when they are an enumeration. */
  readonly validValues?: readonly string[];
  /** The documented lower bound (`[n,...]`), when there is one. */
  readonly atLeast?: number;
}

export const KAFKA_BROKER_CONFIGS: Readonly<Record<string, KafkaBrokerConfigDoc>> = {
  'process.roles': { type: 'list', validValues: ['broker', 'controller'] },
  'node.id': { type: 'int', atLeast: 0 },
  'controller.quorum.voters': { type: 'list' },
  'controller.listener.names': { type: 'string' },
  'listeners': { type: 'string' },
  'advertised.listeners': { type: 'string' },
  'listener.security.protocol.map': { type: 'string' },
  'inter.broker.listener.name': { type: 'string' },
  'broker.rack': { type: 'string' },
  'log.dirs': { type: 'string' },
  'metadata.log.dir': { type: 'string' },
  'num.partitions': { type: 'int', atLeast: 1 },
  'default.replication.factor': { type: 'int' },
  'min.insync.replicas': { type: 'int', atLeast: 1 },
  'unclean.leader.election.enable': { type: 'boolean' },
  'auto.create.topics.enable': { type: 'boolean' },
  'offsets.topic.replication.factor': { type: 'short', atLeast: 1 },
  'transaction.state.log.replication.factor': { type: 'short', atLeast: 1 },
  'transaction.state.log.min.isr': { type: 'int', atLeast: 1 },
  'log.retention.hours': { type: 'int' },
  'ssl.keystore.type': { type: 'string' },
  'ssl.keystore.location': { type: 'string' },
  'ssl.truststore.type': { type: 'string' },
  'ssl.truststore.location': { type: 'string' },
  'ssl.client.auth': { type: 'string', validValues: ['required', 'requested', 'none'] },
  'ssl.endpoint.identification.algorithm': { type: 'string' },
};

/** Problems of one rendered `key=value` against its documented type (empty when it conforms). */
export function configTypeProblems(key: string, value: string): string[] {
  const doc = KAFKA_BROKER_CONFIGS[key];
  if (!doc) return [`${key} is not a documented broker configuration we know of`];
  const out: string[] = [];
  const integer = (min: number, max: number) => {
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) out.push(`${key}=${value} is not a ${doc.type}`);
  };
  switch (doc.type) {
    case 'int': integer(-(2 ** 31), 2 ** 31 - 1); break;
    case 'short': integer(-(2 ** 15), 2 ** 15 - 1); break;
    case 'long': integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER); break;
    case 'boolean': if (value !== 'true' && value !== 'false') out.push(`${key}=${value} is not a boolean`); break;
    case 'list': if (value.split(',').some(s => s.trim() === '')) out.push(`${key}=${value} has an empty list item`); break;
    default: if (value.trim() === '') out.push(`${key} is empty`);
  }
  if (doc.atLeast !== undefined && Number(value) < doc.atLeast) out.push(`${key}=${value} is below ${doc.atLeast}`);
  const items = doc.type === 'list' ? value.split(',') : [value];
  if (doc.validValues && items.some(i => !doc.validValues!.includes(i.trim()))) out.push(`${key}=${value} is not one of ${doc.validValues.join(', ')}`);
  return out;
}
