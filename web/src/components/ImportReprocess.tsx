// "Reprocess": normalise an import again from its stored rows
// (reprocessCsvImport), e.g. after a fix of the matching rules. Safe to
// repeat (docs/sources/csv.md); the page follows the progress by polling.
import { Button, Tooltip } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import { useMutation } from "urql";
import { errorText } from "../client.ts";
import { graphql } from "../graphql.ts";

const ReprocessMutation = graphql(`
  mutation ReprocessCsvImport($importId: UUID!) {
    reprocessCsvImport(input: { importId: $importId }) {
      result {
        rowId
        importStatus
      }
    }
  }
`);

export function ImportReprocess({
  importId,
  running,
  onStarted,
  onError,
}: {
  importId: string;
  running: boolean;
  onStarted: () => void;
  onError: (message: string) => void;
}) {
  const [{ fetching }, reprocess] = useMutation(ReprocessMutation);
  const start = async () => {
    const result = await reprocess({ importId });
    if (result.error) onError(`Could not reprocess: ${errorText(result.error)}`);
    else onStarted();
  };
  return (
    <Tooltip label="Normalise the stored rows again (after a change of the matching rules); the file is not needed" multiline w={260}>
      <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={() => void start()} loading={fetching} disabled={running}>
        {running ? "Processing…" : "Reprocess"}
      </Button>
    </Tooltip>
  );
}
