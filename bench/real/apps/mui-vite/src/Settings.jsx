import { useState } from 'react';
import styled from '@emotion/styled';
import {
  AppBar, Toolbar, Typography, Button, TextField, Switch, FormControlLabel, Slider, Select, MenuItem,
  Dialog, DialogTitle, DialogContent, DialogActions, Snackbar, Alert, Tabs, Tab, Card, CardContent,
  Autocomplete, Chip, Stack, Drawer, List, ListItemButton, ListItemText, Tooltip, Badge, Avatar,
} from '@mui/material';

const Panel = styled.section`
  display: grid;
  gap: 16px;
  padding: 24px;
`;

export function Settings() {
  const [tab, setTab] = useState(0);
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState(false);
  const [volume, setVolume] = useState(30);
  return (
    <>
      <AppBar position="static">
        <Toolbar>
          <Typography variant="h6" sx={{ flexGrow: 1 }}>Settings</Typography>
          <Tooltip title="You"><Badge badgeContent={3} color="secondary"><Avatar>U</Avatar></Badge></Tooltip>
        </Toolbar>
      </AppBar>
      <Drawer variant="permanent">
        <List>{['Profile', 'Security', 'Billing'].map((t) => <ListItemButton key={t}><ListItemText primary={t} /></ListItemButton>)}</List>
      </Drawer>
      <Tabs value={tab} onChange={(_, v) => setTab(v)}><Tab label="General" /><Tab label="Advanced" /></Tabs>
      <Panel>
        <Card><CardContent>
          <Stack spacing={2}>
            <TextField label="Name" />
            <Autocomplete options={['en', 'fr', 'de']} renderInput={(p) => <TextField {...p} label="Language" />} />
            <FormControlLabel control={<Switch />} label="Notifications" />
            <Slider value={volume} onChange={(_, v) => setVolume(v)} />
            <Select value="a"><MenuItem value="a">A</MenuItem><MenuItem value="b">B</MenuItem></Select>
            <Stack direction="row" spacing={1}><Chip label="beta" /><Chip label="pro" color="primary" /></Stack>
            <Button variant="contained" onClick={() => setOpen(true)}>Save</Button>
          </Stack>
        </CardContent></Card>
      </Panel>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Save changes?</DialogTitle>
        <DialogContent>They apply to every device.</DialogContent>
        <DialogActions><Button onClick={() => { setOpen(false); setSaved(true); }}>Save</Button></DialogActions>
      </Dialog>
      <Snackbar open={saved} autoHideDuration={3000} onClose={() => setSaved(false)}><Alert severity="success">Saved</Alert></Snackbar>
    </>
  );
}
