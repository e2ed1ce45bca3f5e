// The design system's gallery: the components the app's pages use, each with its variants.
import {
  Accordion, AccordionDetails, AccordionSummary, Box, Breadcrumbs, ButtonGroup, Button, Checkbox, CircularProgress,
  Container, Divider, Fab, Grid, IconButton, ImageList, ImageListItem, LinearProgress, Link, Menu,
  Pagination, Paper, Popover, Radio, RadioGroup, Rating, Skeleton, SpeedDial, Step, StepLabel, Stepper, Table,
  TableBody, TableCell, TableHead, TableRow, ToggleButton, ToggleButtonGroup, Typography,
} from '@mui/material';

const rows = Array.from({ length: 5 }, (_, i) => ({ id: i, name: `Item ${i}`, price: (i + 1) * 9.5 }));

export function Gallery() {
  return (
    <Container>
      <Breadcrumbs><Link href="/">Home</Link><Typography>Gallery</Typography></Breadcrumbs>
      <Grid container spacing={2}>
        <Grid size={6}><Paper sx={{ p: 2 }}>
          <ButtonGroup>{['text', 'outlined', 'contained'].map((v) => <Button key={v} variant={v}>{v}</Button>)}</ButtonGroup>
          <Fab color="primary">+</Fab><IconButton>×</IconButton>
          <ToggleButtonGroup value="l" exclusive><ToggleButton value="l">L</ToggleButton><ToggleButton value="r">R</ToggleButton></ToggleButtonGroup>
        </Paper></Grid>
        <Grid size={6}><Paper sx={{ p: 2 }}>
          <Checkbox defaultChecked /><RadioGroup row><Radio value="a" /><Radio value="b" /></RadioGroup><Rating value={4} />
          <CircularProgress /><LinearProgress variant="determinate" value={60} /><Skeleton variant="rectangular" height={40} />
        </Paper></Grid>
        <Grid size={12}>
          <Stepper activeStep={1}>{['Cart', 'Address', 'Pay'].map((s) => <Step key={s}><StepLabel>{s}</StepLabel></Step>)}</Stepper>
          <Table><TableHead><TableRow><TableCell>Name</TableCell><TableCell>Price</TableCell></TableRow></TableHead>
            <TableBody>{rows.map((r) => <TableRow key={r.id}><TableCell>{r.name}</TableCell><TableCell>{r.price}</TableCell></TableRow>)}</TableBody></Table>
          <Pagination count={10} />
          <Accordion><AccordionSummary>Details</AccordionSummary><AccordionDetails><Box>More</Box></AccordionDetails></Accordion>
          <ImageList cols={3}>{rows.map((r) => <ImageListItem key={r.id}><img alt={r.name} src={`/img/${r.id}.jpg`} /></ImageListItem>)}</ImageList>
          <Divider /><SpeedDial ariaLabel="actions" icon="+" /><Menu open={false} /><Popover open={false} />
        </Grid>
      </Grid>
    </Container>
  );
}
