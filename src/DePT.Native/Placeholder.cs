namespace DePT.Native; internal static class Placeholder {}
