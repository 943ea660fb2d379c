import type { ComponentChildren } from "preact";
import { type Column, DataTable } from "./data-table";
import { Loading } from "./notice";

interface ListState<T> {
  items: T[];
  hasMore: boolean;
  loading: boolean;
  error: string | undefined;
  more: () => Promise<void>;
}

/** A paged list as a table: loading and errors announced, "Load more" while there is more. */
export function ListView<T extends { id: string }>(props: {
  list: ListState<T>;
  caption: string;
  empty: string;
  columns: Column<T>[];
}) {
  const { list } = props;
  return (
    <>
      <Loading loading={list.loading && list.items.length === 0} error={list.error} />
      <DataTable<T> caption={props.caption} rows={list.items} empty={props.empty} columns={props.columns} />
      {list.hasMore ? (
        <button type="button" onClick={() => void list.more()} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}

/** A list's search or filter form (a `search` landmark); the fields are the children. */
export function SearchForm(props: {
  submit: string;
  onSearch: (form: FormData) => void;
  children: ComponentChildren;
}) {
  return (
    <search>
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          props.onSearch(new FormData(e.currentTarget));
        }}
      >
        {props.children}
        <button type="submit">{props.submit}</button>
      </form>
    </search>
  );
}

/** A trimmed text field of a form ("" when absent). */
export const fieldOf = (form: FormData, name: string) => String(form.get(name) ?? "").trim();
