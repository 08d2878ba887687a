namespace DePT; internal static class Placeholder {}
