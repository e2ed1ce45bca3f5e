// The admin pages: users, orders, settings, on antd's components and icons.
import { createRoot } from 'react-dom/client';
import { useState } from 'react';
import {
  App, Avatar, Badge, Breadcrumb, Button, Card, Cascader, Checkbox, Col, ConfigProvider, DatePicker, Descriptions,
  Drawer, Dropdown, Form, Input, InputNumber, Layout, Menu, Modal, Pagination, Popconfirm, Radio, Row, Select,
  Space, Steps, Switch, Table, Tabs, Tag, TimePicker, Tooltip, Transfer, Tree, TreeSelect, Upload, message,
} from 'antd';
import {
  DashboardOutlined, UserOutlined, ShoppingCartOutlined, SettingOutlined, UploadOutlined, DeleteOutlined,
  EditOutlined, PlusOutlined, SearchOutlined, BellOutlined, LogoutOutlined, TeamOutlined,
} from '@ant-design/icons';
import dayjs from 'dayjs';

const users = Array.from({ length: 40 }, (_, i) => ({ key: i, name: `User ${i}`, age: 20 + (i % 30), role: ['admin', 'editor', 'viewer'][i % 3], joined: dayjs('2024-01-01').add(i, 'week').format('YYYY-MM-DD') }));
const regions = [{ value: 'eu', label: 'Europe', children: [{ value: 'fr', label: 'France' }, { value: 'de', label: 'Germany' }] }];
const tree = [{ title: 'Catalog', key: 'c', children: [{ title: 'Books', key: 'b' }, { title: 'Music', key: 'm' }] }];

function Users() {
  const [open, setOpen] = useState(false);
  const columns = [
    { title: 'Name', dataIndex: 'name', sorter: (a, b) => a.name.localeCompare(b.name) },
    { title: 'Age', dataIndex: 'age', sorter: (a, b) => a.age - b.age },
    { title: 'Role', dataIndex: 'role', render: (r) => <Tag color={r === 'admin' ? 'red' : 'blue'}>{r}</Tag>, filters: [{ text: 'admin', value: 'admin' }], onFilter: (v, r) => r.role === v },
    { title: 'Joined', dataIndex: 'joined' },
    { title: '', render: () => <Space><Tooltip title="Edit"><Button icon={<EditOutlined />} /></Tooltip><Popconfirm title="Delete?"><Button danger icon={<DeleteOutlined />} /></Popconfirm></Space> },
  ];
  return (
    <Card title="Users" extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>Add</Button>}>
      <Input.Search placeholder="Search" prefix={<SearchOutlined />} />
      <Table columns={columns} dataSource={users} rowSelection={{}} pagination={{ pageSize: 10 }} />
      <Modal open={open} onCancel={() => setOpen(false)} title="New user">
        <Form layout="vertical" onFinish={() => message.success('Saved')}>
          <Form.Item name="name" label="Name" rules={[{ required: true }]}><Input /></Form.Item>
          <Form.Item name="age" label="Age"><InputNumber min={0} /></Form.Item>
          <Form.Item name="role" label="Role"><Select options={['admin', 'editor', 'viewer'].map((v) => ({ value: v, label: v }))} /></Form.Item>
          <Form.Item name="region" label="Region"><Cascader options={regions} /></Form.Item>
          <Form.Item name="since" label="Since"><DatePicker /></Form.Item>
          <Form.Item name="at" label="At"><TimePicker /></Form.Item>
          <Form.Item name="plan" label="Plan"><Radio.Group options={['free', 'pro']} /></Form.Item>
          <Form.Item name="active" label="Active" valuePropName="checked"><Switch /></Form.Item>
          <Form.Item name="terms" valuePropName="checked"><Checkbox>Agree</Checkbox></Form.Item>
          <Form.Item name="avatar" label="Avatar"><Upload><Button icon={<UploadOutlined />}>Upload</Button></Upload></Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

function Settings() {
  const [drawer, setDrawer] = useState(false);
  return (
    <Card title="Settings">
      <Steps current={1} items={[{ title: 'Account' }, { title: 'Team' }, { title: 'Billing' }]} />
      <Descriptions items={[{ key: 1, label: 'Plan', children: 'Pro' }, { key: 2, label: 'Seats', children: 12 }]} />
      <Tree treeData={tree} checkable defaultExpandAll />
      <TreeSelect treeData={tree} style={{ width: 200 }} />
      <Transfer dataSource={users.slice(0, 8).map((u) => ({ key: String(u.key), title: u.name }))} render={(i) => i.title} />
      <Button onClick={() => setDrawer(true)}>Team</Button>
      <Drawer open={drawer} onClose={() => setDrawer(false)}><Avatar icon={<TeamOutlined />} /></Drawer>
    </Card>
  );
}

function Shell() {
  const [page, setPage] = useState('users');
  return (
    <ConfigProvider theme={{ token: { colorPrimary: '#0b7285' } }}>
      <App>
        <Layout style={{ minHeight: '100vh' }}>
          <Layout.Sider>
            <Menu theme="dark" selectedKeys={[page]} onClick={(e) => setPage(e.key)} items={[
              { key: 'dash', icon: <DashboardOutlined />, label: 'Dashboard' },
              { key: 'users', icon: <UserOutlined />, label: 'Users' },
              { key: 'orders', icon: <ShoppingCartOutlined />, label: 'Orders' },
              { key: 'settings', icon: <SettingOutlined />, label: 'Settings' },
            ]} />
          </Layout.Sider>
          <Layout>
            <Layout.Header><Space><Badge count={5}><BellOutlined /></Badge><Dropdown menu={{ items: [{ key: 'out', icon: <LogoutOutlined />, label: 'Log out' }] }}><Avatar icon={<UserOutlined />} /></Dropdown></Space></Layout.Header>
            <Layout.Content>
              <Breadcrumb items={[{ title: 'Admin' }, { title: page }]} />
              <Row gutter={16}><Col span={24}>
                <Tabs activeKey={page} onChange={setPage} items={[{ key: 'users', label: 'Users', children: <Users /> }, { key: 'settings', label: 'Settings', children: <Settings /> }]} />
              </Col></Row>
              <Pagination total={400} />
            </Layout.Content>
          </Layout>
        </Layout>
      </App>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')).render(<Shell />);
