// Tab and quick-switcher commands: which chat is in front.
import { switcherCandidates } from "../state/selectors.js";
import type { TabCommandId } from "./ids.js";
import type { CommandContext, Run } from "./context.js";
import { closeActive } from "../../client/commands.js";

export function tabCommands(ctx: CommandContext): Record<TabCommandId, Run> {
  const { client, dispatch } = ctx;
  const nav = (a: Parameters<typeof client.dispatch>[0]) => () => {
    dispatch(a);
    client.ensureLoaded();
  };
  async function choose() {
    const s = ctx.state();
    if (s.overlay?.kind !== "switcher") return;
    const c = switcherCandidates(s)[s.overlay.selected];
    dispatch({ type: "overlay.close" });
    if (!c) return;
    if (c.kind === "chat") nav({ type: "tab.activate", chatId: c.chatId })();
    else if (c.kind === "user") await client.openChat(client.request("dm:open", { nick: c.nick }));
    else await client.openChat(client.request("room:join", { name: c.name }));
  }
  async function open() {
    dispatch({ type: "overlay.switcher" });
    const r = await client.request("rooms:list", {});
    if (r.ok) dispatch({ type: "rooms.loaded", rooms: r.data.rooms });
  }
  const goto = (i: number) => nav({ type: "tab.goto", index: i - 1 });
  return {
    "tab.next": nav({ type: "tab.step", delta: 1 }),
    "tab.prev": nav({ type: "tab.step", delta: -1 }),
    "tab.nextUnread": nav({ type: "tab.nextUnread" }),
    "tab.close": () => closeActive(ctx),
    "tab.goto.1": goto(1), "tab.goto.2": goto(2), "tab.goto.3": goto(3), "tab.goto.4": goto(4), "tab.goto.5": goto(5),
    "tab.goto.6": goto(6), "tab.goto.7": goto(7), "tab.goto.8": goto(8), "tab.goto.9": goto(9),
    "switcher.open": open,
    "switcher.choose": choose,
    "switcher.up": () => dispatch({ type: "switcher.move", delta: -1 }),
    "switcher.down": () => dispatch({ type: "switcher.move", delta: 1 }),
    "switcher.backspace": () => {
      const o = ctx.state().overlay;
      if (o?.kind === "switcher") dispatch({ type: "switcher.query", query: [...o.query].slice(0, -1).join("") });
    },
  };
}
