// Replies by sequence step, from the campaign_lead_counts rollup: a lead's
// sequence_step is the last step it was sent, so the leads that reached step N
// are those at step N or later, and a replied lead replied after its step.
import { Paper, SimpleGrid, Table, Text } from "@mantine/core";
import { formatNumber, formatPercent } from "../format.ts";
import { StepChart } from "./CampaignChartsLazy.tsx";

export function CampaignSteps({ leadsByStep, repliesByStep }: { leadsByStep: Map<number, number>; repliesByStep: Map<number, number> }) {
  const steps = [...new Set([...leadsByStep.keys(), ...repliesByStep.keys()])].filter((step) => step > 0).sort((a, b) => a - b);
  const reached = (step: number) => [...leadsByStep].reduce((total, [s, n]) => total + (s >= step ? n : 0), 0);
  const totalReplies = [...repliesByStep.values()].reduce((a, b) => a + b, 0);
  const unknownStep = repliesByStep.get(0) ?? 0;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="steps-title">
      <Text id="steps-title" fw={600}>
        Replies by sequence step
      </Text>
      <Text size="xs" c="dimmed" mb="sm">
        Leads who replied, by the last step they were sent
      </Text>
      {steps.length === 0 ? (
        <Text size="sm" c="dimmed">
          No email of this campaign has been sent yet.
        </Text>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: totalReplies > 0 ? 2 : 1 }} spacing="md">
          {totalReplies > 0 && <StepChart data={steps.map((step) => ({ step: `Step ${step}`, replied: repliesByStep.get(step) ?? 0 }))} />}
          <Table.ScrollContainer minWidth={320}>
            <Table verticalSpacing={4} data-testid="replies-by-step">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Step</Table.Th>
                  <Table.Th ta="right">Leads reached</Table.Th>
                  <Table.Th ta="right">Replied</Table.Th>
                  <Table.Th ta="right">Reply rate</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {steps.map((step) => {
                  const replies = repliesByStep.get(step) ?? 0;
                  const leads = reached(step);
                  return (
                    <Table.Tr key={step}>
                      <Table.Td>Step {step}</Table.Td>
                      <Table.Td ta="right">{formatNumber(leads)}</Table.Td>
                      <Table.Td ta="right" data-testid={`replies-step-${step}`} data-value={replies}>
                        {formatNumber(replies)}
                      </Table.Td>
                      <Table.Td ta="right">{formatPercent(leads ? replies / leads : null)}</Table.Td>
                    </Table.Tr>
                  );
                })}
                {unknownStep > 0 && (
                  <Table.Tr>
                    <Table.Td>Step unknown</Table.Td>
                    <Table.Td ta="right">—</Table.Td>
                    <Table.Td ta="right">{formatNumber(unknownStep)}</Table.Td>
                    <Table.Td ta="right">—</Table.Td>
                  </Table.Tr>
                )}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </SimpleGrid>
      )}
    </Paper>
  );
}
