import { Anchor } from "@mantine/core";
import { Link } from "react-router";
import { Empty } from "../components/States.tsx";

export function NotFoundPage() {
  return (
    <Empty title="No such page">
      <Anchor component={Link} to="/leads">
        Go to the leads
      </Anchor>
    </Empty>
  );
}
