import { Link } from 'react-router';
import { formatDateTime, formatRelative } from '../../lib/format';
import { StatusBadge } from '../../ui/badge';
import { Table } from '../../ui/layout';
import type { Item } from './queries';

/** The list's rows; a tag is a button that filters the list by it. */
export function ItemsTable({ items, onTag }: { items: Item[]; onTag: (tag: string) => void }) {
  return (
    <Table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col" className="hidden sm:table-cell">
            Tags
          </th>
          <th scope="col" className="hidden md:table-cell">
            Updated
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.id} className="hover:bg-slate-50 dark:hover:bg-slate-800/50">
            <td className="max-w-[16rem] sm:max-w-md">
              <Link
                to={`/items/${item.id}`}
                className="font-medium text-indigo-700 hover:underline focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none dark:text-indigo-300"
              >
                {item.name}
              </Link>
              {item.description && (
                <p className="truncate text-xs text-slate-500 dark:text-slate-400">{item.description}</p>
              )}
              {item.tags.length > 0 && (
                <p className="mt-1 truncate text-xs text-slate-500 sm:hidden dark:text-slate-400">
                  {item.tags.join(', ')}
                </p>
              )}
            </td>
            <td>
              <StatusBadge status={item.status} />
            </td>
            <td className="hidden sm:table-cell">
              <div className="flex flex-wrap gap-1">
                {item.tags.map((t) => (
                  <button
                    key={t}
                    type="button"
                    title={`Show only items tagged ${t}`}
                    onClick={() => onTag(t)}
                    className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700 hover:bg-indigo-100 hover:text-indigo-800 dark:bg-slate-800 dark:text-slate-300 dark:hover:bg-indigo-900/60 dark:hover:text-indigo-200"
                  >
                    {t}
                  </button>
                ))}
              </div>
            </td>
            <td className="hidden whitespace-nowrap text-slate-500 md:table-cell dark:text-slate-400">
              <time dateTime={item.updatedAt} title={formatDateTime(item.updatedAt)}>
                {formatRelative(item.updatedAt)}
              </time>
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
