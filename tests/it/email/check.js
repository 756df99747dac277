// Checks mail HTML offline against caniemail's data (npm @jsx-email/doiuse-email) for the clients
// named in the arguments: `node check.js 'gmail.*,outlook.*' FILE…`. Prints one JSON line per file
// with its errors (unsupported features), de-duplicated.
const { doIUseEmail } = require('@jsx-email/doiuse-email');
const fs = require('fs');
const [clients, ...files] = process.argv.slice(2);
for (const file of files) {
  const result = doIUseEmail(fs.readFileSync(file, 'utf8'), { emailClients: clients.split(',') });
  console.log(JSON.stringify({ file, errors: [...new Set(result.success ? [] : result.errors)] }));
}
