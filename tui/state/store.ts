// chat-tui's store: the client core's chat store plus the UI slice, read as one merged state.
// Chat actions go to the client; UI actions to the UI reducer, which also hears chat actions.
import type { ChatClient } from "../../client/client.js";
import { isChatAction } from "../../client/state/actions.js";
import type { Action } from "./actions.js";
import { impliedChatAction, initialUiState, uiReducer } from "./reducer.js";
import type { ChatState, State, UiState } from "./types.js";

export interface Store {
  getState(): State;
  dispatch(action: Action): void;
  subscribe(listener: (state: State, action: Action) => void): () => void;
}

/** The chat side of a store: a client, or (in tests) anything with its state and dispatch. */
export type ChatSource = Pick<ChatClient, "getState" | "dispatch" | "subscribe">;

export function createStore(chat: ChatSource, ui: UiState = initialUiState()): Store & { dispose(): void } {
  let uiState = ui;
  let merged: State | null = null;
  let mergedFrom: [ChatState, UiState] | null = null;
  const listeners = new Set<(state: State, action: Action) => void>();
  const getState = (): State => {
    const c = chat.getState();
    if (!merged || mergedFrom?.[0] !== c || mergedFrom[1] !== uiState) {
      merged = { ...c, ...uiState };
      mergedFrom = [c, uiState];
    }
    return merged;
  };
  const emit = (action: Action) => {
    const s = getState();
    for (const l of [...listeners]) l(s, action);
  };
  // A chat change (from the server or a local chat action): the UI slice hears it too.
  const unsubscribe = chat.subscribe((c, action) => {
    uiState = uiReducer(uiState, action, c);
    emit(action);
  });
  return {
    getState,
    dispatch(action) {
      if (isChatAction(action)) return chat.dispatch(action);
      const implied = impliedChatAction(action);
      const before = uiState;
      uiState = uiReducer(uiState, action, chat.getState());
      if (implied) chat.dispatch(implied);
      if (uiState !== before) emit(action);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose: unsubscribe,
  };
}
