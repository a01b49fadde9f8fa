export { SETTING_KEYS, SETTINGS, type SettingKey } from './settings.registry.ts';
export { settingsRoutes } from './settings.routes.ts';
export {
  getSetting,
  getSettingValue,
  listSettings,
  putSetting,
  resetSetting,
  updateSettings,
} from './settings.service.ts';
export { settings } from './settings.table.ts';
