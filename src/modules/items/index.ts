export { ITEM_LIMITS, type Item } from './items.dto.ts';
export { itemsRoutes } from './items.routes.ts';
export { countItemsByStatus, createItem, deleteItem, getItem, listItems, updateItem } from './items.service.ts';
export { ITEM_STATUSES, type ItemStatus, items } from './items.table.ts';
