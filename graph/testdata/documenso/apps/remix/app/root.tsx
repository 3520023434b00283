export default function App() {}
