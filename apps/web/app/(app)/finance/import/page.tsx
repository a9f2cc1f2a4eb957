// Import a bank file: the wizard (upload → preview → commit), the past imports, and the saved
// CSV mappings.

import { CsvMappings } from '@/components/finance/csv-mappings';
import { ImportWizard } from '@/components/finance/import-wizard';
import type { CsvPresetInfo, FinanceAccount, FinanceImport, SavedCsvMapping } from '@/lib/finance';
import { financeJson, maybe } from '@/lib/finance-server';

export const metadata = { title: 'Import' };

const HERE = '/finance/import';

export default async function ImportPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const account = typeof params.account_id === 'string' ? params.account_id : undefined;
  const [{ accounts }, { imports }, mappings, presets] = await Promise.all([
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', HERE),
    financeJson<{ imports: FinanceImport[] }>('/imports', HERE),
    maybe<{ mappings: SavedCsvMapping[] }>('/csv-mappings', HERE),
    maybe<{ presets: CsvPresetInfo[] }>('/csv-presets', HERE),
  ]);
  const saved = mappings.ok ? mappings.value.mappings : [];
  const banks = presets.ok ? presets.value.presets : [];
  return (
    <>
      <ImportWizard accounts={accounts} imports={imports} mappings={saved} presets={banks} initialAccount={account} />
      <CsvMappings mappings={saved} presets={banks} />
    </>
  );
}
