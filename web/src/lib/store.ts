// A tiny observable value: the room controller writes, components subscribe.
import { useEffect, useState } from 'preact/hooks';

export class Store<T> {
  private value: T;
  private readonly subs = new Set<(v: T) => void>();
  constructor(initial: T) {
    this.value = initial;
  }
  get(): T {
    return this.value;
  }
  set(patch: Partial<T>): void {
    this.value = { ...this.value, ...patch };
    for (const fn of this.subs) fn(this.value);
  }
  subscribe(fn: (v: T) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }
}

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    const unsubscribe = store.subscribe(setValue);
    setValue(store.get()); // catch up on changes made between render and subscription
    return unsubscribe;
  }, [store]);
  return value;
}
