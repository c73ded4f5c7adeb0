/** `npm run demo:totp -- <username>`: the current TOTP code of a demo account (demo only). */
import { demoAccounts } from './staff.ts';
import { totpAt } from '../staff/totp.ts';

const name = process.argv[2];
const account = demoAccounts().find((a) => a.username === name);
if (!account) {
  console.error(`usage: npm run demo:totp -- <username>   (one of: ${demoAccounts().map((a) => a.username).join(', ')})`);
  process.exit(1);
}
const now = new Date();
console.log(`${totpAt(account.totpSecret, now)}   (valid for ${30 - (Math.floor(now.getTime() / 1000) % 30)} s)`);
