// A minimal store: dispatch runs the reducer; subscribers hear about every change.
import type { Action } from "./actions.js";
import { reducer } from "./reducer.js";
import type { State } from "./types.js";

export interface Store {
  getState(): State;
  dispatch(action: Action): void;
  subscribe(listener: (state: State, action: Action) => void): () => void;
}

export function createStore(initial: State): Store {
  let state = initial;
  const listeners = new Set<(state: State, action: Action) => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (next === state) return;
      state = next;
      for (const l of listeners) l(state, action);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
