// The reports pages: statistics, a calendar, timelines, on antd's components and icons.
import { createRoot } from 'react-dom/client';
import {
  Alert, Anchor, AutoComplete, Calendar, Card, Carousel, Collapse, ColorPicker, ConfigProvider, Divider, Empty,
  Flex, FloatButton, Image, List, Mentions, Progress, QRCode, Rate, Result, Segmented, Skeleton, Slider, Spin,
  Splitter, Statistic, Timeline, Tour, Typography, Watermark, notification,
} from 'antd';
import * as Icons from '@ant-design/icons';
import dayjs from 'dayjs';

const iconNames = Object.keys(Icons).filter((k) => /Outlined$/.test(k)).slice(0, 400);

function Reports() {
  return (
    <Flex vertical gap="middle">
      <Alert type="info" message="Quarterly figures" showIcon />
      <Anchor items={[{ key: 'a', href: '#sales', title: 'Sales' }, { key: 'b', href: '#team', title: 'Team' }]} />
      <Card id="sales" title="Sales">
        <Statistic title="Revenue" value={112893} precision={2} />
        <Progress percent={72} /><Progress type="circle" percent={45} />
        <Slider range defaultValue={[20, 60]} /><Rate defaultValue={4} />
        <Segmented options={['Daily', 'Weekly', 'Monthly']} />
      </Card>
      <Calendar fullscreen={false} value={dayjs('2025-06-01')} />
      <Timeline items={Array.from({ length: 6 }, (_, i) => ({ children: `Release ${i}` }))} />
      <Collapse items={[{ key: 1, label: 'Notes', children: <Typography.Paragraph copyable>Plans for Q3.</Typography.Paragraph> }]} />
      <List dataSource={['a', 'b', 'c']} renderItem={(x) => <List.Item>{x}</List.Item>} />
      <Carousel autoplay><div>One</div><div>Two</div></Carousel>
      <Splitter><Splitter.Panel><Empty /></Splitter.Panel><Splitter.Panel><Result status="success" title="Done" /></Splitter.Panel></Splitter>
      <AutoComplete options={[{ value: 'north' }, { value: 'south' }]} /><Mentions options={[{ value: 'ana', label: 'ana' }]} />
      <ColorPicker defaultValue="#1677ff" /><QRCode value="https://example.org" /><Image width={80} src="logo.png" />
      <Watermark content="draft"><Skeleton active /></Watermark><Spin />
      <Divider />
      <Flex wrap gap="small">{iconNames.map((n) => { const I = Icons[n]; return <I key={n} title={n} />; })}</Flex>
      <FloatButton onClick={() => notification.info({ message: 'Hi' })} />
      <Tour steps={[{ title: 'Start' }]} open={false} />
    </Flex>
  );
}

createRoot(document.getElementById('root')).render(<ConfigProvider><Reports /></ConfigProvider>);
