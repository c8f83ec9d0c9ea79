// The judges the Python tests consult: Logto's published guards and Ajv.
// Usage: node judge.mjs COMMAND < input.json > verdicts.json (one process per corpus).
//   metadata        input: [metadata, ...]            Logto's connectorMetadataGuard
//   tencent-config  input: [config, ...]              Logto's Tencent connector's configGuard
//   ajv             input: {schema, instances: [...]} Ajv (draft 2020-12) on our schema
// Each answer is a list, one {success, issues} per input, in order.
import { connectorMetadataGuard } from '@logto/connector-kit';
import createTencentSmsConnector from '@logto/connector-tencent-sms';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const zodVerdict = (guard, value) => {
  const result = guard.safeParse(value);
  return result.success
    ? { success: true, issues: [] }
    : { success: false, issues: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
};

const judges = {
  metadata: async (documents) => documents.map((doc) => zodVerdict(connectorMetadataGuard, doc)),
  'tencent-config': async (configs) => {
    const connector = await createTencentSmsConnector({ getConfig: async () => ({}) });
    return configs.map((config) => zodVerdict(connector.configGuard, config));
  },
  ajv: async ({ schema, instances }) => {
    // Unknown keywords are refused (strictSchema); errorMessage is our annotation for people,
    // nothing Ajv checks.  strictTypes and strictRequired only lint style ($ref beside
    // maxLength, "required" in a then-branch), not what a document means.
    const ajv = new Ajv2020({
      strictSchema: true,
      strictNumbers: true,
      strictTuples: true,
      strictTypes: false,
      strictRequired: false,
      allErrors: true,
    });
    addFormats(ajv);
    ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
    const validate = ajv.compile(schema);
    return instances.map((instance) => {
      const success = validate(instance);
      const issues = success ? [] : validate.errors.map((e) => `${e.instancePath}: ${e.message}`);
      return { success, issues };
    });
  },
};

const command = process.argv[2];
if (!(command in judges)) {
  console.error(`usage: node judge.mjs ${Object.keys(judges).join('|')} < input.json`);
  process.exit(2);
}
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk); // a pipe: read it to the end
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
process.stdout.write(JSON.stringify(await judges[command](input)));
