// Runs before the app renders so a dark-theme user never sees a white flash. The choice is
// 'light', 'dark' or 'system' (the default), kept in localStorage by the theme switcher.
const choice = localStorage.getItem('sy-theme') ?? 'system';
const dark = choice === 'dark' || (choice === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
document.documentElement.classList.toggle('dark', dark);
