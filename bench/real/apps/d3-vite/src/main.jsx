import { createRoot } from 'react-dom/client';
import { Dashboard } from './Dashboard.jsx';

createRoot(document.getElementById('root')).render(<Dashboard />);
