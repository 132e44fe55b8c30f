// The web client's entry: one page, routed by its path.
//   /                 the join page
//   /join/CODE        the join page with the code filled in (or the seat back)
//   /host             the host console
//   /projector/CODE   the projector display

import { render } from "preact";
import { JoinPage } from "./player";
import { HostPage } from "./host";
import { Projector } from "./projector";
import { measureSkew } from "./common";

function route() {
  const path = location.pathname.replace(/\/+$/, "");
  const join = /^\/join\/([A-Za-z0-9]{1,16})$/.exec(path);
  const projector = /^\/projector\/([A-Za-z0-9]{1,16})$/.exec(path);
  if (path === "/host") return <HostPage />;
  if (projector) return <Projector code={projector[1]!.toUpperCase()} />;
  return <JoinPage initialCode={join ? join[1]!.toUpperCase() : ""} />;
}

void measureSkew();
render(route(), document.getElementById("app")!);
// When the page became usable, for the test that holds it under 1 s.
performance.mark("dualpower:interactive");
