// An empty module: the RSS baseline imports it as core would be imported.
export default 1;
