import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { CssBaseline, ThemeProvider, createTheme } from '@mui/material';
import { Gallery } from './Gallery.jsx';
import { Settings } from './Settings.jsx';

const theme = createTheme({ palette: { mode: 'dark', primary: { main: '#5c6bc0' } } });

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <Settings />
      <Gallery />
    </ThemeProvider>
  </StrictMode>,
);
