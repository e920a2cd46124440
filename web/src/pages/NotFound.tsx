import { Anchor, Text } from "@mantine/core";
import { Link } from "react-router";
import { PageTitle } from "../components/States.tsx";

export function NotFoundPage() {
  return (
    <>
      <PageTitle>No such page</PageTitle>
      <Text>
        This address is not a page of leadgraph.{" "}
        <Anchor component={Link} to="/leads">
          Go to the leads
        </Anchor>
        .
      </Text>
    </>
  );
}
